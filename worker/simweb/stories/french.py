"""Original French-language stories (France, Switzerland)."""

from __future__ import annotations

from worker.simweb.model import Story

MESSAGER = "www.lemessager.example"
SEELAND = "www.seelandcourrier.example"

STORIES: tuple[Story, ...] = (
    Story(
        outlet=MESSAGER,
        section="politique",
        topic="politics",
        slug="budget-2027-adopte-premiere-lecture",
        published="2026-11-24 19:30:00",
        title="Le budget 2027 adopté de justesse en première lecture à l'Assemblée",
        authors=("Claire Fontaine",),
        text="""
        L'Assemblée nationale a adopté mardi soir, à une courte majorité, la partie recettes du
        projet de loi de finances pour 2027, au terme de trois semaines de débats tendus dans
        l'hémicycle.

        Le texte a recueilli 279 voix pour et 266 contre. Plusieurs députés de l'opposition se
        sont abstenus, permettant au gouvernement d'éviter le recours à l'article 49.3 de la
        Constitution, qui permet de faire adopter un texte sans vote.

        Le budget prévoit de ramener le déficit public à 4,6 % du produit intérieur brut l'an
        prochain, contre 5,2 % attendus cette année. Il repose sur environ 30 milliards d'euros
        d'économies et sur une contribution exceptionnelle des plus grandes entreprises.

        « C'est un budget de responsabilité, qui protège le pouvoir d'achat des Français tout
        en redressant nos comptes », a déclaré le ministre de l'Économie à l'issue du vote.

        À gauche, les députés ont dénoncé des coupes « injustes » dans les services publics et
        les collectivités locales. À droite, certains élus ont jugé les efforts d'économies
        insuffisants et réclamé une baisse plus nette des dépenses de fonctionnement.

        Le Haut Conseil des finances publiques avait jugé fin septembre que les prévisions de
        croissance du gouvernement, à 1,1 %, étaient « un peu élevées ».

        Parmi les mesures les plus débattues figure le gel du barème de l'impôt sur le revenu,
        qui n'est pas indexé sur l'inflation, ce qui revient à une hausse d'impôt pour de
        nombreux ménages selon l'opposition.

        Le texte doit désormais être examiné par le Sénat, où la majorité de droite et du
        centre entend le modifier sensiblement, avant une commission mixte paritaire prévue à
        la mi-décembre.
        """,
    ),
    Story(
        outlet=MESSAGER,
        section="economie",
        topic="economy",
        slug="chomage-recul-troisieme-trimestre",
        published="2026-11-13 08:45:00",
        title="Le chômage recule légèrement au troisième trimestre, à 7,2 %",
        authors=("Julien Moreau",),
        text="""
        Le taux de chômage en France a légèrement reculé au troisième trimestre, à 7,2 % de la
        population active, contre 7,4 % au trimestre précédent, a annoncé vendredi l'Insee.

        Le nombre de chômeurs au sens du Bureau international du travail a diminué d'environ
        60 000 personnes sur le trimestre, pour s'établir à 2,3 millions en France, hors
        Mayotte.

        Le recul concerne surtout les jeunes de 15 à 24 ans, dont le taux de chômage a baissé
        de 1,1 point, à 18,0 %. Il reste en revanche stable chez les seniors.

        Pour les économistes, cette amélioration est à prendre avec prudence. « On observe un
        marché du travail qui résiste mieux que prévu, mais les créations d'emplois salariés
        ralentissent nettement depuis le début de l'année », souligne Élise Garnier, économiste
        dans un cabinet parisien.

        Le gouvernement vise toujours le plein emploi, défini autour de 5 % de chômage, d'ici à
        2027, un objectif que la plupart des prévisionnistes jugent désormais hors de portée.

        Le taux d'emploi des 15-64 ans atteint quant à lui 69,1 %, un niveau historiquement
        élevé depuis que l'Insee le mesure, en 1975. La progression est portée notamment par
        l'emploi des seniors et le développement de l'apprentissage.

        Les chiffres de France Travail, publiés fin octobre, montraient en revanche une légère
        hausse du nombre de demandeurs d'emploi inscrits sans aucune activité. Les deux
        indicateurs ne mesurent pas exactement la même réalité, rappellent les statisticiens.

        L'Insee publiera mi-décembre sa note de conjoncture, qui donnera ses prévisions pour le
        premier semestre de l'année prochaine.
        """,
    ),
    Story(
        outlet=MESSAGER,
        section="sport",
        topic="sport",
        slug="ligue-1-psg-s-impose-a-marseille",
        published="2026-11-22 23:05:00",
        title="Ligue 1 : le PSG s'impose au Vélodrome et creuse l'écart",
        authors=("Antoine Lefèvre",),
        text="""
        Le Paris Saint-Germain a remporté le Classique face à l'Olympique de Marseille (2-1),
        dimanche soir au stade Vélodrome, et compte désormais six points d'avance en tête de la
        Ligue 1.

        Dans une ambiance électrique, les Marseillais avaient pourtant ouvert le score dès la
        10e minute grâce à une frappe croisée de leur attaquant Karim Benali, après une perte
        de balle parisienne au milieu de terrain.

        Paris a égalisé juste avant la pause sur un coup franc direct de son milieu Lucas
        Marchand, qui a trouvé la lucarne. Les Parisiens ont ensuite pris le contrôle du match
        en seconde période.

        À vingt minutes de la fin, le jeune ailier Noah Diallo, entré en jeu quelques instants
        plus tôt, a profité d'un centre en retrait pour marquer le but de la victoire.

        « Gagner ici, c'est toujours particulier. On a souffert, mais l'équipe a montré
        beaucoup de caractère », a réagi l'entraîneur parisien en conférence de presse.

        Les Marseillais ont terminé la rencontre avec beaucoup de frustration. Ils ont réclamé
        un penalty à la 80e minute pour une main dans la surface parisienne, mais l'arbitre,
        après consultation de l'assistance vidéo, a laissé jouer.

        Avant la rencontre, quelques incidents avaient éclaté aux abords du stade, où la police
        a procédé à une dizaine d'interpellations. Le match s'est ensuite déroulé sans
        débordements dans les tribunes, selon la préfecture de police des Bouches-du-Rhône.

        Au classement, Lens, deuxième, a profité de la journée pour dépasser Marseille après sa
        victoire à Nantes samedi, et reste le principal poursuivant du club de la capitale.

        Marseille, qui reste troisième, se déplacera à Lens le week-end prochain. Le PSG, lui,
        recevra Lyon au Parc des Princes.
        """,
    ),
    Story(
        outlet=MESSAGER,
        section="sciences",
        topic="science",
        slug="iter-premier-module-chambre-vide",
        published="2026-11-19 14:00:00",
        title="ITER : un premier module de la chambre à vide installé dans le tokamak",
        authors=("Mathilde Roux",),
        text="""
        Le projet international de réacteur à fusion ITER, à Saint-Paul-lez-Durance
        (Bouches-du-Rhône), a franchi une étape importante avec l'installation d'un premier
        module de sa chambre à vide dans le puits du tokamak, a annoncé jeudi l'organisation.

        Ce module, qui pèse plus de 1 200 tonnes, a été descendu en une journée grâce à deux
        ponts roulants installés au-dessus du bâtiment d'assemblage. Huit autres modules
        doivent suivre dans les prochaines années.

        La chambre à vide est l'enceinte en forme d'anneau dans laquelle le plasma, chauffé à
        plus de 150 millions de degrés, doit être confiné par de puissants champs magnétiques.

        « C'est un moment que des milliers d'ingénieurs attendaient depuis des années », a
        déclaré le directeur général d'ITER lors d'une visite organisée pour la presse.

        Le projet, qui réunit l'Union européenne, la Chine, l'Inde, le Japon, la Corée du Sud,
        la Russie et les États-Unis, a accumulé des années de retard et des surcoûts
        importants. Le calendrier révisé prévoit un premier plasma de recherche en 2034.

        L'opération avait été retardée de plusieurs années par la découverte de défauts sur des
        soudures et des boucliers thermiques livrés par des fournisseurs. Les pièces
        défectueuses ont dû être réparées sur le site, un chantier qui a mobilisé des centaines
        de techniciens.

        Le coût total du projet est estimé à plus de 20 milliards d'euros, la contribution de
        l'Europe, pays hôte, représentant environ 45 % de la construction. Les sept partenaires
        fournissent l'essentiel de leur part sous forme de composants fabriqués sur leur
        territoire.

        Les défenseurs du projet y voient une étape indispensable vers une énergie abondante
        et bas carbone. Ses détracteurs estiment que la fusion arrivera trop tard pour
        contribuer à la lutte contre le réchauffement climatique.
        """,
    ),
    Story(
        outlet=MESSAGER,
        section="culture",
        topic="culture",
        slug="prix-goncourt-2026-laureate",
        published="2026-11-04 13:15:00",
        modified="2026-11-04 16:40:00",
        title="Le prix Goncourt 2026 décerné à Hélène Marchetti pour « Les Eaux basses »",
        authors=("Sophie Delmas",),
        text="""
        Le prix Goncourt, la plus prestigieuse récompense littéraire française, a été attribué
        mardi à Hélène Marchetti pour son roman « Les Eaux basses », a annoncé l'académie
        Goncourt depuis le restaurant Drouant, à Paris.

        La romancière de 52 ans, originaire de Bastia, a été élue au deuxième tour de scrutin
        par six voix contre quatre. C'est son quatrième roman, et le premier à figurer dans la
        sélection du prix.

        « Les Eaux basses » raconte l'été de la sécheresse de 2022 dans un village corse, à
        travers le regard d'une vieille femme qui voit la rivière de son enfance disparaître et
        les liens entre voisins se défaire.

        « Je suis sidérée et très heureuse. Je pense à tous ceux qui, dans les villages,
        regardent le ciel en attendant la pluie », a déclaré l'autrice à son arrivée chez
        Drouant, sous les applaudissements.

        Le prix Renaudot, décerné le même jour, est revenu à un premier roman consacré à la
        vie d'un cheminot dans le Nord dans les années 1970.

        Publié en août par une maison d'édition indépendante de Marseille, le livre figurait
        depuis la rentrée littéraire parmi les favoris des libraires. Il s'en était déjà vendu
        près de 40 000 exemplaires avant l'annonce du prix, selon l'éditeur.

        Les autres finalistes étaient un premier roman sur l'exil d'une famille afghane à
        Calais, une fresque familiale dans la Lorraine sidérurgique et un récit autobiographique
        consacré à la maladie d'un père.

        Si le Goncourt n'est doté que d'un chèque symbolique de dix euros, il garantit
        généralement des ventes de plusieurs centaines de milliers d'exemplaires.
        """,
    ),
    Story(
        outlet=SEELAND,
        language="fr",
        section="suisse",
        topic="politics",
        slug="votation-initiative-succession-rejetee",
        published="2026-11-29 17:15:00",
        title="Votations : l'initiative sur l'impôt sur les successions nettement rejetée",
        authors=("Nathalie Perrin",),
        text="""
        Le peuple suisse a rejeté dimanche à une large majorité l'initiative populaire qui
        demandait un impôt fédéral sur les très grandes successions. Le texte a été refusé par
        68,4 % des votants et par l'ensemble des cantons.

        L'initiative prévoyait de taxer à 50 % les héritages et donations dépassant 50 millions
        de francs, afin de financer la lutte contre le changement climatique.

        Les opposants, réunis autour des milieux économiques et des partis de droite, avaient
        mis en garde contre le départ d'entrepreneurs et de grandes fortunes à l'étranger. Le
        non a dépassé 80 % dans les cantons de Zoug et de Schwytz.

        En Suisse romande, le refus a été un peu moins marqué. Le canton de Genève a dit non à
        58 %, celui de Neuchâtel à 61 %, et la ville de Bienne se situe légèrement sous la
        moyenne cantonale bernoise.

        Les initiants ont reconnu leur défaite, tout en estimant avoir lancé un débat
        nécessaire sur la concentration des richesses. « Cette question reviendra », a assuré
        leur porte-parole à Berne.

        Le Conseil fédéral et le Parlement avaient recommandé de rejeter le texte, estimant
        qu'un impôt fédéral sur les successions empiéterait sur les compétences fiscales des
        cantons et pénaliserait les entreprises familiales.

        Les électeurs ont en revanche accepté, par 54 % des voix, une modification de la loi sur
        le service civil, qui rend plus difficile le passage de l'armée au service civil après
        l'école de recrues.

        Dans le Jura bernois et à Bienne, les partisans de l'initiative espéraient un score plus
        serré. Le oui a toutefois dépassé 40 % dans plusieurs quartiers de la ville, notamment
        au centre et dans le quartier de Mâche.

        La participation s'est élevée à 49 %.
        """,
    ),
    Story(
        outlet=SEELAND,
        language="fr",
        section="region",
        topic="environment",
        slug="lac-de-bienne-qualite-eau",
        published="2026-11-20 11:30:00",
        title="Lac de Bienne : la qualité de l'eau s'améliore, selon une étude cantonale",
        authors=("Marc-Antoine Rochat",),
        text="""
        La qualité de l'eau du lac de Bienne s'est nettement améliorée au cours des vingt
        dernières années, selon une étude de l'Office des eaux et des déchets du canton de
        Berne publiée jeudi.

        La concentration de phosphore, principal responsable de la prolifération des algues,
        a diminué de près de moitié depuis 2005. Les scientifiques attribuent cette évolution à
        la modernisation des stations d'épuration et à des pratiques agricoles plus économes
        en engrais dans le Seeland.

        L'étude note toutefois que la température de l'eau en surface a augmenté d'environ
        1,5 degré en été depuis les années 1980, ce qui réduit le brassage des eaux et
        l'oxygénation du fond du lac.

        « Nous avons réglé le problème des années 1970, mais le réchauffement nous en pose un
        nouveau », résume la biologiste qui a coordonné les travaux.

        Les pêcheurs professionnels de la région, qui ont vu les captures de corégones
        diminuer ces dernières années, demandent un suivi plus régulier de la population de
        poissons.

        Dans les années 1970, le lac de Bienne, comme de nombreux lacs du Plateau suisse,
        souffrait d'une forte eutrophisation, avec des proliférations d'algues qui privaient les
        eaux profondes d'oxygène et provoquaient des mortalités de poissons.

        L'étude s'appuie sur des mesures effectuées chaque mois depuis 1984 au point le plus
        profond du lac, à 74 mètres, ainsi que sur des relevés réguliers dans l'Aar et les
        autres cours d'eau qui alimentent le lac.

        Le canton prévoit de renforcer les mesures de protection des rives et de poursuivre la
        renaturation de plusieurs embouchures, notamment celle de la Suze.
        """,
    ),
    Story(
        outlet=SEELAND,
        language="fr",
        section="economie",
        topic="economy",
        slug="horlogerie-exportations-recul-octobre",
        published="2026-11-19 09:15:00",
        title="Horlogerie : les exportations reculent encore en octobre",
        authors=("Valérie Schneider",),
        text="""
        Les exportations horlogères suisses ont de nouveau reculé en octobre, de 4,1 % sur un
        an, à 2,1 milliards de francs, a indiqué jeudi la Fédération de l'industrie horlogère
        suisse, établie à Bienne.

        La baisse est surtout marquée vers la Chine et Hong Kong, où la demande de montres de
        luxe reste faible. Les ventes vers les États-Unis, premier marché de la branche, ont
        également diminué après l'entrée en vigueur de nouveaux droits de douane.

        Les montres de plus de 3000 francs, qui représentent l'essentiel de la valeur exportée,
        résistent mieux que les gammes d'entrée et de milieu de gamme, en recul de plus de
        10 % en volume.

        Dans l'Arc jurassien, plusieurs sous-traitants ont introduit le chômage partiel depuis
        l'été. Les syndicats craignent des suppressions d'emplois au début de l'an prochain.

        « La branche a connu des cycles difficiles par le passé, mais l'accumulation des
        incertitudes rend cette phase particulièrement délicate », explique un économiste de la
        Haute école de gestion Arc.

        Les montres en acier, segment le plus important en volume, ont reculé de 6 %, tandis que
        les montres en or ont légèrement progressé. La demande reste soutenue au Japon et au
        Royaume-Uni, qui profitent notamment du tourisme.

        À Bienne, siège de plusieurs grandes marques et de nombreux fournisseurs, les autorités
        suivent la situation de près. La ville, très dépendante de l'industrie horlogère, a déjà
        revu à la baisse ses prévisions de recettes fiscales pour l'an prochain.

        Sur les dix premiers mois de l'année, les exportations sont en baisse de 3,2 %.
        """,
    ),
)

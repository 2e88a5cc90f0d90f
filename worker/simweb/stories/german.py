"""Original German-language stories (Germany, Austria, Switzerland)."""

from __future__ import annotations

from worker.simweb.model import Story

RHEIN = "www.rheinkurier.example"
ALPEN = "www.alpenrundschau.example"
SEELAND = "www.seelandcourrier.example"

STORIES: tuple[Story, ...] = (
    Story(
        outlet=RHEIN,
        section="politik",
        topic="politics",
        slug="bundestag-haushalt-2027-beschlossen",
        published="2026-11-27 15:20:00",
        title="Bundestag beschließt Haushalt 2027 nach hitziger Schlussdebatte",
        authors=("Katrin Vogelsang",),
        text="""
        Nach vier Tagen Debatte hat der Bundestag den Bundeshaushalt für das kommende Jahr
        beschlossen. Für den Etat stimmten am Freitag in Berlin 389 Abgeordnete, 281 votierten
        dagegen, es gab eine Enthaltung.

        Der Haushalt sieht Ausgaben von rund 524 Milliarden Euro vor. Hinzu kommen Kredite aus
        den Sondervermögen für Infrastruktur und Bundeswehr, die nicht unter die Schuldenbremse
        fallen. Die Neuverschuldung im Kernhaushalt liegt bei knapp 90 Milliarden Euro.

        Der größte Einzeletat ist erneut der des Ministeriums für Arbeit und Soziales mit mehr
        als 190 Milliarden Euro, vor allem wegen der Zuschüsse zur Rentenversicherung. Deutlich
        steigen sollen die Ausgaben für Verteidigung, Schienen und Brücken.

        Bundeskanzler Friedrich Merz verteidigte in der Generaldebatte die hohen Investitionen.
        Deutschland müsse nach Jahren des Stillstands «wieder bauen, modernisieren und sich
        verteidigen können», sagte er.

        Die Opposition warf der Koalition dagegen vor, die Sondervermögen als «Schattenhaushalte»
        zu nutzen und notwendige Strukturreformen zu verschleppen. Der Bundesrechnungshof hatte
        zuvor ebenfalls gemahnt, die Kredite müssten tatsächlich in zusätzliche Investitionen
        fließen.

        Kritik kam auch von Kommunen und Ländern, die sich mehr Geld für Schulen, Kitas und den
        Nahverkehr gewünscht hatten. Der Deutsche Städtetag sprach von einer «verpassten
        Chance».

        Besonders umstritten war bis zuletzt die Finanzierung des Deutschlandtickets. Die
        Koalition einigte sich in der Bereinigungssitzung des Haushaltsausschusses darauf, den
        Bundeszuschuss für ein weiteres Jahr festzuschreiben. Der Preis für das Ticket soll
        dennoch steigen.

        Auch das Bürgergeld sorgte für Streit. Die Regierung rechnet durch strengere Regeln und
        mehr Vermittlung in Arbeit mit Einsparungen in Milliardenhöhe. Sozialverbände halten
        diese Annahme für unrealistisch und warnen vor Kürzungen bei den Jobcentern.

        Der Bundesrat soll sich Mitte Dezember abschließend mit dem Haushalt befassen.
        """,
    ),
    Story(
        outlet=RHEIN,
        section="wirtschaft",
        topic="economy",
        slug="autozulieferer-stuttgart-stellenabbau",
        published="2026-11-19 11:45:00",
        modified="2026-11-19 17:30:00",
        title="Autozulieferer Kessler Antriebe streicht 1800 Stellen in Baden-Württemberg",
        authors=("Michael Brandt", "Aylin Demir"),
        text="""
        Der Autozulieferer Kessler Antriebe will in den kommenden drei Jahren rund 1800
        Arbeitsplätze in Baden-Württemberg abbauen. Betroffen sind vor allem die Werke in
        Esslingen und Heilbronn, wie das Unternehmen am Donnerstag in Stuttgart mitteilte.

        Als Grund nannte der Vorstand die schwache Nachfrage nach Komponenten für
        Verbrennungsmotoren und den langsamer als erwartet wachsenden Markt für Elektroautos.
        Zudem drückten Billigkonkurrenz aus Asien und hohe Energiekosten auf die Margen.

        «Wir müssen unsere Kapazitäten an die Realität anpassen, so schmerzhaft das ist», sagte
        Vorstandschef Ralf Kessler. Ein Teil der Produktion werde nach Ungarn und Mexiko
        verlagert, Forschung und Entwicklung blieben aber am Stammsitz.

        Die IG Metall kündigte Widerstand an. Der Abbau sei «ein Schlag ins Gesicht der
        Belegschaft», die in der Krise bereits auf Lohnbestandteile verzichtet habe, sagte ein
        Sprecher der Gewerkschaft in Stuttgart. Betriebsbedingte Kündigungen dürfe es nicht
        geben.

        Das Unternehmen erklärte, es wolle den Abbau möglichst sozialverträglich über
        Altersteilzeit, Abfindungen und nicht nachbesetzte Stellen gestalten.

        Die baden-württembergische Wirtschaftsministerin sprach von einer «bitteren
        Nachricht» für die Region. Die Zulieferindustrie im Südwesten hat seit 2023 bereits
        mehrere Zehntausend Arbeitsplätze verloren.

        Am Standort Esslingen versammelten sich am Nachmittag mehrere Hundert Beschäftigte zu
        einer spontanen Kundgebung vor dem Werkstor. «Viele von uns arbeiten hier seit 25
        Jahren, und jetzt erfahren wir aus der Zeitung, wie es weitergeht», sagte ein
        Schichtleiter.

        Das Unternehmen hatte im vergangenen Geschäftsjahr einen Umsatz von 3,9 Milliarden Euro
        erzielt, aber einen Verlust vor Steuern ausgewiesen. Für das laufende Jahr rechnet der
        Vorstand mit einem weiteren Umsatzrückgang.

        Kessler Antriebe beschäftigt weltweit rund 14.000 Menschen, davon etwa 6500 in
        Deutschland.
        """,
    ),
    Story(
        outlet=RHEIN,
        section="sport",
        topic="sport",
        slug="bundesliga-leverkusen-schlaegt-frankfurt",
        published="2026-11-28 17:35:00",
        title="Leverkusen dreht Spiel gegen Frankfurt und bleibt an Bayern dran",
        authors=("Jonas Albrecht",),
        text="""
        Bayer Leverkusen hat in der Fußball-Bundesliga einen Rückstand gegen Eintracht
        Frankfurt in einen Sieg verwandelt und den Abstand zu Tabellenführer Bayern München bei
        drei Punkten gehalten. Die Werkself gewann am Samstag in der BayArena mit 3:1.

        Die Gäste waren nach einer Viertelstunde durch einen Kopfball von Nils Hartwig nach
        einer Ecke in Führung gegangen. Leverkusen tat sich gegen die tief stehenden Frankfurter
        lange schwer und kam vor der Pause kaum zu Chancen.

        Nach dem Seitenwechsel drehte die Mannschaft auf. Zunächst traf Mittelfeldspieler Leon
        Kraus mit einem Distanzschuss zum Ausgleich (52.), dann verwandelte Stürmer Yusuf Erden
        einen Foulelfmeter (67.).

        In der Schlussphase machte der eingewechselte Timo Reuter mit seinem ersten
        Bundesligator alles klar (88.). Frankfurt hatte zuvor bei einem Lattentreffer Pech
        gehabt.

        «In der ersten Halbzeit waren wir zu langsam, zu ungenau», sagte Leverkusens Trainer
        nach dem Spiel. «Die Reaktion nach der Pause war stark, das zeichnet diese Mannschaft
        aus.»

        Die Frankfurter hatten mit einer Fünferkette begonnen und die Räume im Zentrum geschickt
        eng gemacht. Leverkusen schob den Ball in der ersten Halbzeit oft ungefährlich quer,
        Torschüsse blieben die Ausnahme.

        Nach der Pause brachte Leverkusens Trainer einen zusätzlichen Angreifer und stellte auf
        eine Dreierkette um. Die Umstellung zahlte sich aus: Die Gastgeber kamen über die Flügel
        nun immer wieder gefährlich vor das Tor.

        Die Eintracht beklagte nach dem Spiel den Elfmeterpfiff, der nach Ansicht der
        Videobilder eine knappe Entscheidung gewesen war. «Für mich ist das kein Strafstoß, da
        gibt es kaum Kontakt», sagte Frankfurts Sportvorstand.

        Frankfurt bleibt nach der dritten Niederlage in Folge im Mittelfeld der Tabelle. Am
        Mittwoch steht für die Eintracht das Pokalspiel gegen Mainz an.
        """,
    ),
    Story(
        outlet=RHEIN,
        section="wissen",
        topic="science",
        slug="jena-forscher-bakterien-antibiotikum",
        published="2026-11-24 09:00:00",
        title="Forscher aus Jena entdecken neuen Wirkstoff gegen resistente Keime",
        authors=("Dr. Sabine Lorenz",),
        text="""
        Forscherinnen und Forscher aus Jena haben in Bodenbakterien einen bislang unbekannten
        Wirkstoff entdeckt, der im Labor auch gegen multiresistente Krankheitserreger wirkt.
        Über ihre Ergebnisse berichten sie im Fachjournal «Nature Microbiology».

        Das Team vom Leibniz-Institut für Naturstoff-Forschung und Infektionsbiologie hatte
        Proben aus einem Waldboden im Thüringer Wald untersucht. Dabei stießen die Forschenden
        auf ein Bakterium der Gattung Paenibacillus, das eine bisher nicht beschriebene
        Substanz produziert.

        Der Stoff, den die Gruppe vorläufig «Saalecin» nennt, greift die Zellhülle von
        Bakterien an einer Stelle an, die von gängigen Antibiotika nicht genutzt wird. In
        Versuchen tötete er unter anderem resistente Stämme von Staphylococcus aureus ab.

        «Das Besondere ist, dass wir in unseren Experimenten über viele Wochen keine
        Resistenzbildung beobachtet haben», sagte Studienleiterin Franziska Heller. Bis zu
        einem möglichen Medikament sei es aber noch ein weiter Weg.

        Antibiotikaresistenzen gelten als eine der größten Bedrohungen für die globale
        Gesundheit. Nach Schätzungen der Weltgesundheitsorganisation sterben jedes Jahr mehr als
        eine Million Menschen an Infektionen mit resistenten Erregern.

        Dass Bodenbakterien eine reiche Quelle für Antibiotika sind, ist lange bekannt: Viele
        der heute eingesetzten Wirkstoffe wurden ursprünglich aus Mikroorganismen im Boden
        gewonnen. Seit Jahrzehnten wurden jedoch kaum neue Substanzklassen entdeckt.

        Die Jenaer Gruppe nutzte für die Suche ein Verfahren, bei dem Bakterien in winzigen
        Kammern direkt im Boden kultiviert werden. So lassen sich auch Arten untersuchen, die im
        Labor normalerweise nicht wachsen.

        Fachleute außerhalb der Studie reagierten vorsichtig optimistisch. Neue Wirkstoffklassen
        seien dringend nötig, sagte ein Infektiologe der Berliner Charité, viele
        vielversprechende Kandidaten scheiterten aber erst in klinischen Studien.

        Als Nächstes will das Team die Verträglichkeit des Wirkstoffs in Zellkulturen und
        Tiermodellen untersuchen. Die Arbeit wurde von der Deutschen Forschungsgemeinschaft
        gefördert.
        """,
    ),
    Story(
        outlet=ALPEN,
        section="chronik",
        topic="weather",
        slug="lawinengefahr-tirol-neuschnee",
        published="2026-11-26 07:30:00",
        title="Lawinengefahr in Tirol nach starkem Neuschnee erheblich",
        authors=("Martina Hofer",),
        text="""
        Nach ergiebigen Schneefällen in den vergangenen zwei Tagen herrscht in weiten Teilen
        Tirols erhebliche Lawinengefahr. Der Lawinenwarndienst des Landes stufte die Gefahr am
        Donnerstag oberhalb von 2000 Metern auf Stufe drei der fünfteiligen Skala ein.

        In den Hohen Tauern und in den Ötztaler Alpen fielen seit Dienstag bis zu 80 Zentimeter
        Neuschnee. Starker Westwind verfrachtete den Schnee, vor allem in Rinnen und Mulden
        bildeten sich große Triebschneeansammlungen.

        «Der Neuschnee liegt auf einer schwachen Altschneedecke, das ist eine heikle
        Kombination», sagte ein Sprecher des Lawinenwarndienstes in Innsbruck. Bereits ein
        einzelner Wintersportler könne Lawinen auslösen.

        Die Gletscherskigebiete am Hintertuxer Gletscher und im Pitztal blieben am Mittwoch
        wegen des Sturms geschlossen. Auch mehrere Passstraßen, darunter die
        Timmelsjoch-Hochalpenstraße, sind gesperrt.

        Die Bergrettung rief Tourengeher dazu auf, in den kommenden Tagen auf Touren im
        freien Gelände zu verzichten oder nur sehr defensiv unterwegs zu sein. Der Saisonstart
        in vielen Skigebieten ist für Anfang Dezember geplant.

        Bereits am Mittwoch war im Kühtai ein Skitourengeher von einem Schneebrett erfasst
        worden. Der 34-jährige Einheimische konnte sich nach Angaben der Polizei selbst befreien
        und blieb unverletzt. Seine beiden Begleiter hatten die Lawine vom Rand des Hanges aus
        beobachtet.

        Die Experten raten, den täglich aktualisierten Lawinenlagebericht zu beachten, der für
        Tirol, Südtirol und das Trentino gemeinsam herausgegeben wird. Wichtig seien außerdem
        Lawinenverschüttetensuchgerät, Sonde und Schaufel sowie die Kenntnis ihrer Bedienung.

        In den Tälern sorgte der Schnee vor allem für Verkehrsbehinderungen. Auf der
        Brennerautobahn kam es am Mittwochabend zu langen Staus, weil mehrere Lastwagen ohne
        Schneeketten hängen geblieben waren.

        Laut Prognose der GeoSphere Austria bleibt es bis zum Wochenende kalt, die
        Schneedecke kann sich nur langsam setzen.
        """,
    ),
    Story(
        outlet=ALPEN,
        section="wien",
        topic="culture",
        slug="christkindlmarkt-rathausplatz-eroeffnet",
        published="2026-11-14 18:10:00",
        title="Wiener Christkindlmarkt am Rathausplatz eröffnet",
        authors=("Lukas Steiner",),
        text="""
        Mit dem Einschalten der Beleuchtung ist am Samstagabend der Wiener Christkindlmarkt auf
        dem Rathausplatz eröffnet worden. Tausende Besucherinnen und Besucher verfolgten den
        Moment, als der große Christbaum und die Lichterketten im Rathauspark aufleuchteten.

        Der Baum, eine 28 Meter hohe Fichte, stammt in diesem Jahr aus der Steiermark. Er wurde
        Anfang November im Bezirk Murau gefällt und mit einem Tieflader nach Wien gebracht.

        Rund 150 Stände bieten bis zum 26. Dezember Punsch, Maroni, Lebkuchen und
        Kunsthandwerk an. Neu ist ein eigener Bereich mit Ständen regionaler Produzentinnen und
        Produzenten aus Niederösterreich und dem Burgenland.

        Wie im Vorjahr ist der Eislaufbereich vor dem Rathaus geöffnet, mit Eisflächen auf zwei
        Ebenen. Für Kinder gibt es eine Backstube und eine Weihnachtswerkstatt in der Volkshalle
        des Rathauses.

        Die Preise für einen Becher Punsch liegen je nach Stand zwischen fünf und sieben Euro,
        dazu kommt Häferlpfand. Die Veranstalter rechnen wie im Vorjahr mit rund drei Millionen
        Besuchen.

        Eröffnet wurde der Markt vom Wiener Bürgermeister gemeinsam mit einer Delegation aus der
        Steiermark. In seiner kurzen Ansprache erinnerte er daran, dass der Markt eine Tradition
        hat, die bis ins 13. Jahrhundert zurückreicht, als in Wien der erste «Dezembermarkt»
        stattfand.

        Neben dem Rathausplatz haben auch die Märkte vor dem Schloss Schönbrunn, am Spittelberg
        und auf dem Maria-Theresien-Platz ihre Tore geöffnet. Insgesamt gibt es in Wien in der
        Adventzeit mehr als 20 Weihnachtsmärkte.

        Um Müll zu vermeiden, werden Speisen und Getränke ausschließlich in Mehrweggeschirr
        ausgegeben. Die Tassen mit dem heurigen Motiv, einem stilisierten Rathausturm im Schnee,
        sind bei Sammlern beliebt.

        Wegen des großen Andrangs empfehlen die Wiener Linien, mit öffentlichen Verkehrsmitteln
        anzureisen. Die U2-Station Rathaus liegt direkt am Markt.
        """,
    ),
    Story(
        outlet=ALPEN,
        section="wirtschaft",
        topic="economy",
        slug="inflation-oesterreich-oktober",
        published="2026-11-18 10:15:00",
        title="Inflation in Österreich sinkt im Oktober auf 2,9 Prozent",
        authors=("Eva Lindner",),
        text="""
        Die Teuerung in Österreich hat sich im Oktober deutlich abgeschwächt. Die Inflationsrate
        sank laut Statistik Austria auf 2,9 Prozent, nach 3,4 Prozent im September. Das ist der
        niedrigste Wert seit mehr als einem Jahr.

        Hauptgrund für den Rückgang waren die Preise für Haushaltsenergie, die im Jahresabstand
        erstmals seit Monaten wieder sanken. Auch Treibstoffe wurden billiger als im Oktober des
        Vorjahres.

        Teurer wurden dagegen weiterhin Dienstleistungen, vor allem in der Gastronomie und bei
        Pauschalreisen. Nahrungsmittel und alkoholfreie Getränke kosteten im Schnitt 3,8
        Prozent mehr als vor einem Jahr.

        «Die Inflation ist auf dem Rückzug, sie bleibt aber über dem Schnitt der Eurozone», sagte
        der Generaldirektor von Statistik Austria bei der Präsentation der Zahlen in Wien.

        Ökonominnen und Ökonomen erwarten, dass die Teuerung in den kommenden Monaten weiter
        zurückgeht. Das Wirtschaftsforschungsinstitut WIFO rechnet für das Gesamtjahr 2027 mit
        einer Rate von rund 2,5 Prozent.

        Auch das Mieten wurde weiterhin teurer. Die Wohnungsmieten stiegen im Jahresabstand um
        4,3 Prozent und trugen damit spürbar zur Gesamtinflation bei. Die Regierung verweist auf
        die Mietpreisbremse für regulierte Mieten, die im kommenden Jahr greifen soll.

        Der für die Eurozone vergleichbare Harmonisierte Verbraucherpreisindex lag in Österreich
        bei 3,0 Prozent. In der Eurozone insgesamt betrug die Rate nach einer Schnellschätzung
        von Eurostat 2,1 Prozent.

        Der tägliche Einkauf, der vor allem Lebensmittel umfasst, verteuerte sich um 3,5
        Prozent. Der wöchentliche Einkauf, zu dem auch Treibstoffe zählen, lag dagegen nur 1,8
        Prozent über dem Vorjahresniveau.

        Für die laufenden Lohnverhandlungen sind die Zahlen von großer Bedeutung. Die
        Metaller-Gewerkschaft hatte zuletzt einen Abschluss über der rollierenden Inflation
        gefordert.
        """,
    ),
    Story(
        outlet=SEELAND,
        language="de",
        section="schweiz",
        topic="politics",
        slug="abstimmung-erbschaftssteuer-initiative",
        published="2026-11-29 17:05:00",
        title="Stimmvolk lehnt Erbschaftssteuer-Initiative deutlich ab",
        authors=("Reto Baumann",),
        text="""
        Die Schweizer Stimmberechtigten haben am Sonntag die Volksinitiative für eine nationale
        Erbschaftssteuer auf grosse Vermögen deutlich abgelehnt. Nach Auszählung aller Kantone
        sagten 68,4 Prozent Nein, kein einziger Kanton stimmte zu.

        Die Initiative hatte eine Steuer von 50 Prozent auf Erbschaften und Schenkungen über
        50 Millionen Franken verlangt. Die Einnahmen hätten in den Klimaschutz fliessen sollen.

        Die Gegner aus Wirtschaft und bürgerlichen Parteien hatten gewarnt, reiche Familien
        und Unternehmer würden die Schweiz verlassen. Besonders hoch war der Nein-Anteil in den
        Kantonen Zug, Schwyz und Nidwalden.

        Die Initiantinnen und Initianten zeigten sich enttäuscht, sprachen aber von einer
        wichtigen Debatte über Vermögensungleichheit. «Das Thema ist mit dem heutigen Tag nicht
        vom Tisch», sagte eine Sprecherin des Komitees in Bern.

        Die Stimmbeteiligung lag bei 49 Prozent. Im zweisprachigen Kanton Bern sagten 66
        Prozent Nein, in der Stadt Biel etwas weniger.

        Der Bundesrat und das Parlament hatten die Initiative zur Ablehnung empfohlen.
        Finanzministerin und Regierung argumentierten, eine nationale Erbschaftssteuer greife in
        die Steuerhoheit der Kantone ein und gefährde den Werkplatz Schweiz.

        Umfragen hatten bereits vor der Abstimmung auf eine klare Ablehnung hingedeutet. Die
        Zustimmung war im Laufe des Abstimmungskampfes deutlich gesunken, nachdem mehrere
        bekannte Unternehmerfamilien öffentlich mit einem Wegzug gedroht hatten.

        In den Städten Zürich, Basel und Bern fiel das Nein weniger deutlich aus als auf dem
        Land. In der Stadt Zürich lag der Ja-Anteil bei knapp 44 Prozent, in Basel bei 42
        Prozent.

        Im Seeland zeigte sich ein gemischtes Bild: Während die ländlichen Gemeinden rund um den
        Bielersee die Vorlage deutlich verwarfen, war die Zustimmung in einigen Bieler
        Quartieren fast ausgeglichen.

        Ebenfalls abgestimmt wurde über eine Änderung des Zivildienstgesetzes, die mit 54
        Prozent angenommen wurde.
        """,
    ),
    Story(
        outlet=SEELAND,
        language="de",
        section="region",
        topic="transport",
        slug="sbb-fahrplanwechsel-biel",
        published="2026-11-25 08:40:00",
        title="Fahrplanwechsel: Biel erhält neue Direktverbindung nach Basel",
        authors=("Sandra Gerber",),
        text="""
        Mit dem Fahrplanwechsel am 13. Dezember erhält Biel eine stündliche Direktverbindung
        nach Basel ohne Umsteigen in Delémont. Das haben die SBB am Mittwoch bekanntgegeben.

        Die Züge fahren über den Jura und benötigen für die Strecke rund eine Stunde und zwei
        Minuten, etwa zehn Minuten weniger als bisher mit Umsteigen. Möglich wird dies durch
        den Ausbau des Bahnhofs Grenchen Nord und neue Doppelspurabschnitte.

        Zudem verkehren zwischen Biel und Bern in den Hauptverkehrszeiten zusätzliche Züge.
        Die Regionalverbindungen ins Seeland nach Lyss und Ins werden dichter getaktet.

        Die Stadt Biel begrüsst die Neuerungen. Die Direktverbindung stärke die Region als
        Wirtschaftsstandort, insbesondere für die Uhren- und Präzisionsindustrie, teilte der
        Gemeinderat mit.

        Weniger erfreut zeigen sich Pendlerinnen und Pendler aus dem Berner Jura: Mehrere
        Regionalzüge nach Tavannes fallen in den Randstunden weg. Der Kanton prüft einen
        Ersatz durch Busse.

        Für die Bauarbeiten am Bahnhof Grenchen Nord und auf der Strecke durch den Jura haben
        Bund und SBB in den vergangenen vier Jahren rund 280 Millionen Franken investiert. Die
        Strecke war während mehrerer Wochenenden gesperrt gewesen.

        Neu ist auch eine direkte Nachtverbindung am Wochenende von Bern über Biel nach
        Neuenburg. Die Züge verkehren in den Nächten auf Samstag und Sonntag im Stundentakt bis
        etwa 3 Uhr morgens.

        Im Seeland freut man sich zudem über neue Busverbindungen: Ab Dezember verkehrt die
        Linie von Aarberg nach Lyss auch am Sonntag im Halbstundentakt, wie die regionale
        Verkehrskonferenz mitteilte.

        Die Fahrgastverbände begrüssten die Verbesserungen grundsätzlich. Sie kritisierten aber,
        dass der Bahnhof Biel bei hohem Andrang an seine Grenzen stosse und die geplante
        Modernisierung der Perrons erst in einigen Jahren umgesetzt werde.

        Die Billettpreise bleiben im neuen Fahrplanjahr grösstenteils unverändert.
        """,
    ),
)

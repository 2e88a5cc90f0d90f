"""Original Spanish-language stories (Argentina and the region)."""

from __future__ import annotations

from worker.simweb.model import Story

PLATA = "www.diariodelplata.example"

STORIES: tuple[Story, ...] = (
    Story(
        outlet=PLATA,
        section="politica",
        topic="politics",
        slug="diputados-aprueba-presupuesto-2027",
        published="2026-11-19 04:10:00",
        title="Diputados aprobó el Presupuesto 2027 tras una sesión de 20 horas",
        authors=("Martín Aguirre",),
        text="""
        La Cámara de Diputados aprobó en la madrugada de este jueves el proyecto de Presupuesto
        2027, tras una sesión maratónica de casi 20 horas en la que el oficialismo consiguió
        el apoyo de bloques dialoguistas y de varios gobernadores.

        La votación en general terminó con 138 votos afirmativos, 104 negativos y 6
        abstenciones. El texto pasa ahora al Senado, donde el Gobierno espera convertirlo en
        ley antes de fin de año.

        El proyecto prevé un superávit fiscal primario equivalente al 1,5% del producto bruto
        interno, una inflación anual del 14% y un crecimiento de la economía del 4%. También
        incluye partidas para obras viales en las provincias del norte.

        El ministro de Economía celebró la aprobación en sus redes sociales y afirmó que se
        trata de «el primer presupuesto en años que no se financia con emisión».

        La oposición cuestionó los recortes previstos en universidades, ciencia y
        transferencias a las provincias. «Es un presupuesto que ajusta siempre sobre los
        mismos», sostuvo una diputada durante el debate.

        Durante la sesión se registraron protestas de organizaciones sociales y gremios
        universitarios en las inmediaciones del Congreso, que se desarrollaron sin incidentes.

        Antes de la votación, el oficialismo aceptó modificar varios artículos para sumar
        apoyos, entre ellos una mayor asignación para el Fondo Nacional de Incentivo Docente y
        la eliminación de una cláusula que permitía reasignar partidas sin pasar por el
        Congreso.

        Los gobernadores de Córdoba, Santa Fe y Mendoza habían condicionado el voto de sus
        legisladores a la inclusión de obras de infraestructura y a la distribución de los
        fondos del impuesto a los combustibles.

        Es la primera vez desde 2022 que el Congreso aprueba un presupuesto en una de sus
        cámaras.
        """,
    ),
    Story(
        outlet=PLATA,
        section="economia",
        topic="economy",
        slug="inflacion-octubre-indec",
        published="2026-11-12 16:05:00",
        title="La inflación de octubre fue de 1,9% y acumula 22,4% en el año",
        authors=("Lucía Ferraro",),
        text="""
        La inflación de octubre fue de 1,9%, según informó este jueves el Instituto Nacional
        de Estadística y Censos (INDEC). Se trata de una leve suba respecto del 1,7% de
        septiembre, y el acumulado de los primeros diez meses del año llega al 22,4%.

        En los últimos doce meses, los precios aumentaron un 26,1%, la variación interanual
        más baja desde mediados de 2018.

        Los rubros con mayores subas fueron Vivienda, agua, electricidad y gas, impulsado por
        los ajustes de tarifas, y Prendas de vestir y calzado, por el cambio de temporada. En
        el otro extremo, Alimentos y bebidas no alcohólicas subió 1,4%.

        La inflación núcleo, que excluye los precios regulados y estacionales, fue de 1,7%, en
        línea con lo que esperaban las consultoras privadas.

        «La desinflación continúa, pero a un ritmo más lento. El desafío ahora es perforar el
        piso del 2% mensual», explicó Andrés Villalba, economista de una consultora porteña.

        Por regiones, la mayor variación mensual se registró en la Patagonia, con 2,2%, seguida
        por el Gran Buenos Aires, con 2,0%. La menor se dio en el Noreste, con 1,5%.

        Los precios regulados, que incluyen tarifas de servicios públicos, transporte y
        combustibles, subieron 2,8% en el mes, por encima del promedio. Los estacionales, como
        frutas, verduras y turismo, aumentaron 1,6%.

        En el mercado, los analistas destacaron la estabilidad del tipo de cambio en las últimas
        semanas, que contribuyó a moderar las expectativas de inflación de las empresas para los
        próximos meses.

        El Gobierno proyecta que la inflación mensual siga bajando en los próximos meses,
        aunque diciembre suele ser un mes de mayores aumentos por las fiestas y los aguinaldos.
        """,
    ),
    Story(
        outlet=PLATA,
        section="deportes",
        topic="sport",
        slug="superclasico-boca-river-empate",
        published="2026-11-15 19:25:00",
        title="Boca y River igualaron 1-1 en un superclásico intenso en La Bombonera",
        authors=("Diego Salvatierra",),
        text="""
        Boca Juniors y River Plate empataron 1-1 este domingo en La Bombonera, en un
        superclásico cargado de intensidad que dejó conformes a pocos y mantiene abierta la
        pelea en la zona de clasificación del Torneo Clausura.

        River se puso en ventaja a los 23 minutos del primer tiempo con un cabezazo del
        defensor Matías Ocampo tras un tiro de esquina. El equipo visitante dominó buena parte
        de la primera mitad ante un Boca impreciso.

        En el complemento, el local adelantó sus líneas y encontró el empate a los 61 minutos,
        cuando el delantero Facundo Ríos definió cruzado tras una gran habilitación de Tomás
        Benítez.

        En el cierre, ambos equipos tuvieron chances para ganarlo. El arquero de River tapó un
        remate a quemarropa en el minuto 88 y, en la última jugada, un disparo de los
        visitantes se fue apenas desviado.

        El partido tuvo siete amonestados y la expulsión de un mediocampista de Boca en el
        tiempo de descuento por doble amarilla.

        «Fue un partido muy duro, de mucho roce. Nos vamos con la sensación de que pudimos
        ganarlo», dijo el entrenador de Boca en conferencia de prensa.

        Antes del partido, la dirigencia de Boca dispuso un amplio operativo de seguridad, con
        más de mil efectivos policiales en las inmediaciones del estadio. Como ocurre desde hace
        años, no hubo público visitante.

        Fuera de la cancha, los hinchas de ambos equipos discutieron durante toda la semana el
        arbitraje, que estuvo a cargo de un juez designado a último momento tras la lesión del
        árbitro que había sido sorteado en un principio.

        Con este resultado, River sigue en el segundo puesto de su zona y Boca quedó cuarto, a
        dos fechas del final de la fase regular.
        """,
    ),
    Story(
        outlet=PLATA,
        section="ciencia",
        topic="science",
        slug="hallazgo-dinosaurio-patagonia-neuquen",
        published="2026-11-23 10:30:00",
        title="Hallan en Neuquén los restos de un nuevo dinosaurio herbívoro gigante",
        authors=("Valeria Quiroga",),
        text="""
        Un equipo de paleontólogos argentinos presentó este lunes una nueva especie de
        dinosaurio saurópodo hallada en la provincia de Neuquén, un gigante herbívoro que
        habría vivido hace unos 95 millones de años y medido más de 30 metros de largo.

        Los restos fueron encontrados cerca de la localidad de Villa El Chocón, en la costa del
        embalse Ezequiel Ramos Mexía, una zona que ya ha aportado algunos de los dinosaurios
        más grandes conocidos.

        La nueva especie fue bautizada Chocontitan limayensis, en referencia a la localidad y
        al río Limay. El hallazgo incluye vértebras del cuello y de la cola, parte de la
        cadera y un fémur de casi dos metros.

        «Es uno de los titanosaurios más completos que hemos encontrado en la región en los
        últimos veinte años», explicó el paleontólogo Gustavo Ledesma, del CONICET, que dirigió
        las excavaciones.

        El estudio, publicado en la revista científica Cretaceous Research, sugiere que el
        animal pertenecía a un grupo de titanosaurios que convivió con grandes carnívoros como
        el Giganotosaurus.

        Los trabajos de excavación se extendieron durante tres temporadas de verano y
        participaron más de treinta investigadores, técnicos y estudiantes de universidades de
        Neuquén, Río Negro y Buenos Aires.

        Los restos fueron descubiertos en 2021 por un vecino de la zona que recorría la costa
        del lago y dio aviso al museo local. «Sin la colaboración de la comunidad, muchos de
        estos hallazgos no serían posibles», destacó Ledesma.

        Los fósiles se exhibirán a partir de diciembre en el museo municipal de Villa El
        Chocón, que espera un aumento de visitantes durante la temporada de verano.
        """,
    ),
    Story(
        outlet=PLATA,
        section="sociedad",
        topic="weather",
        slug="ola-de-calor-buenos-aires-noviembre",
        published="2026-11-27 15:40:00",
        title="Ola de calor: Buenos Aires superó los 36 grados y rige alerta amarilla",
        authors=("Redacción",),
        text="""
        La ciudad de Buenos Aires registró este viernes una temperatura máxima de 36,4 grados,
        la más alta para un mes de noviembre en los últimos ocho años, y el Servicio
        Meteorológico Nacional (SMN) mantiene la alerta amarilla por calor extremo.

        La alerta alcanza también a gran parte de la provincia de Buenos Aires, el sur de
        Santa Fe y el este de Córdoba, donde se esperan máximas de entre 35 y 38 grados hasta
        el domingo.

        La demanda de energía eléctrica marcó un récord para esta época del año y se
        registraron cortes de luz en barrios del sur del conurbano bonaerense, según informó
        el Ente Nacional Regulador de la Electricidad.

        Las autoridades sanitarias recomendaron evitar la exposición al sol entre las 11 y las
        17 horas, hidratarse con frecuencia y prestar especial atención a bebés, niños y
        personas mayores.

        Según el SMN, un frente frío ingresará el domingo por la noche desde el sur y provocará
        tormentas fuertes, con posibles ráfagas y caída de granizo en el norte bonaerense.

        En los parques porteños, como los Bosques de Palermo y la Reserva Ecológica Costanera
        Sur, muchos vecinos buscaron la sombra de los árboles, mientras que las piletas de los
        clubes de barrio adelantaron la apertura de la temporada de verano.

        El Gobierno porteño habilitó puntos de hidratación en plazas y estaciones de subte, y
        los hospitales reforzaron las guardias ante un aumento de consultas por golpes de calor
        y deshidratación, sobre todo entre adultos mayores.

        Los especialistas señalan que las olas de calor en primavera se han vuelto más
        frecuentes en la región en la última década.
        """,
    ),
    Story(
        outlet=PLATA,
        section="cultura",
        topic="culture",
        slug="premio-cervantes-2026-escritora-uruguaya",
        published="2026-11-10 09:50:00",
        title="La escritora uruguaya Ana Laura Pereyra gana el Premio Cervantes 2026",
        authors=("Florencia Bianchi",),
        text="""
        La escritora uruguaya Ana Laura Pereyra fue distinguida con el Premio Cervantes 2026,
        el máximo galardón de las letras en lengua española, según anunció este martes en
        Madrid el Ministerio de Cultura de España.

        Pereyra, nacida en Montevideo en 1949, es autora de una extensa obra de poesía y
        novela, en la que se destacan títulos como «La casa del río» y «Cuaderno de invierno».
        Es la tercera escritora uruguaya en recibir el premio.

        El jurado destacó «una obra que ha sabido narrar la memoria del Río de la Plata con
        una voz íntima y a la vez profundamente política».

        Desde su casa en Montevideo, Pereyra dijo sentirse «sorprendida y agradecida» y
        dedicó el premio «a las maestras y bibliotecarias de los pueblos del interior», donde
        se formó como lectora.

        El galardón, dotado con 125.000 euros, será entregado por los reyes de España el 23 de
        abril en la Universidad de Alcalá de Henares, en el aniversario de la muerte de Miguel
        de Cervantes.

        Su obra ha sido traducida a más de quince idiomas. En los años setenta vivió exiliada en
        México y en Barcelona, experiencia que marcó buena parte de sus libros y que ella misma
        definió como «una larga conversación con la ausencia».

        El año pasado, el premio había sido para un autor mexicano. El Cervantes alterna
        tradicionalmente entre escritores de España y de América Latina, aunque no se trata de
        una regla escrita.

        Autores y editores de ambas orillas del Río de la Plata celebraron la noticia, que
        coincide con la reedición de buena parte de su obra.
        """,
    ),
    Story(
        outlet=PLATA,
        section="mundo",
        topic="politics",
        slug="cumbre-mercosur-montevideo-acuerdo-ue",
        published="2026-11-28 20:15:00",
        title="Cumbre del Mercosur en Montevideo: los presidentes reclaman avanzar con la UE",
        authors=("Santiago Méndez",),
        text="""
        Los presidentes de los países del Mercosur reclamaron este sábado en Montevideo que la
        Unión Europea complete la ratificación del acuerdo comercial entre ambos bloques,
        firmado tras más de dos décadas de negociaciones.

        En la declaración final de la cumbre, los mandatarios de Argentina, Brasil, Paraguay,
        Uruguay y Bolivia señalaron que el acuerdo «abre oportunidades históricas» para las
        exportaciones agrícolas e industriales de la región.

        El anfitrión, el presidente uruguayo, insistió en que el bloque debe «modernizarse» y
        permitir a sus miembros negociar con mayor flexibilidad con terceros países, en
        particular en Asia.

        La delegación argentina respaldó esa posición y propuso reducir el arancel externo
        común para bienes de capital y tecnología, una iniciativa que generó reparos en la
        industria brasileña.

        En la capital uruguaya se reunieron también cancilleres y ministros de Economía, que
        trabajaron en un calendario para la entrada en vigor de los capítulos del acuerdo con
        la UE que no requieren la ratificación de los parlamentos nacionales.

        El acuerdo con la Unión Europea enfrenta la resistencia de los agricultores de varios
        países europeos, en especial de Francia, que temen la competencia de la carne vacuna, el
        azúcar y las aves de corral sudamericanas.

        Durante la cumbre, los presidentes también firmaron una declaración sobre cooperación en
        seguridad fronteriza y lucha contra el crimen organizado, un tema que ganó peso en la
        agenda regional en los últimos años.

        La presidencia pro tempore del bloque pasó a Paraguay, que organizará la próxima
        cumbre en Asunción en el primer semestre de 2027.
        """,
    ),
)

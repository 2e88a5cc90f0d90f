"""Wire stories and the outlets that republished them, each with its own edits."""

from __future__ import annotations

from worker.simweb.model import Republication, WireStory

SEOUL_ENVOY = WireStory(
    story_id="afp-2026-11-seoul-summons-russian-envoy",
    agency="AFP",
    language="en",
    topic="diplomacy",
    title="South Korea summons Russian ambassador over Pyongyang arms pact",
    authors=(),
    text="""
    South Korea summoned Russia's ambassador on Thursday to protest against a military
    cooperation agreement that Moscow signed with North Korea during a visit to Pyongyang by
    Russian Defence Minister Andrei Belousov earlier this week.

    Seoul "demanded that Russia immediately halt all military cooperation with North Korea and
    abide by its obligations under United Nations Security Council resolutions," the foreign
    ministry said in a statement after Ambassador Georgy Zinoviev was called in.

    The agreement, signed on Tuesday, covers what both sides described as "military-technical
    cooperation" and joint training, and builds on the mutual defence treaty that President
    Vladimir Putin and leader Kim Jong Un concluded in Pyongyang in June 2024.

    Russian state media said the deal would allow officers from the two countries to study at
    each other's military academies, while North Korea's official Korean Central News Agency
    praised it as "a new milestone in an invincible alliance".

    South Korean officials fear that Moscow is paying for North Korean artillery shells,
    missiles and troops sent to support its war in Ukraine with technology that could advance
    Pyongyang's satellite, submarine and missile programmes.

    "Any transfer of technology that helps North Korea's weapons programmes is a direct threat
    to the security of the Republic of Korea and will not be tolerated," First Vice Foreign
    Minister Park Yoon-joo told the ambassador, according to the ministry.

        South Korea's intelligence service told lawmakers last month that Pyongyang had received
        air defence systems and electronic warfare equipment from Russia, and that Russian
        engineers had visited a missile production complex near Pyongyang.

    North Korea has been under UN sanctions since 2006 over its nuclear weapons and ballistic
    missile programmes. Russia backed the measures at the time but vetoed the renewal of the
    panel of experts that monitored their enforcement in March 2024.

    Seoul and Washington say thousands of North Korean soldiers were deployed to Russia's Kursk
    region in late 2024 to help push back a Ukrainian incursion, a deployment that Moscow and
    Pyongyang acknowledged only months later.

    South Korea, a major arms exporter, has so far refused to supply weapons directly to Kyiv
    but has said it would review that policy depending on the level of military cooperation
    between Russia and the North.

    In Moscow, foreign ministry spokeswoman Maria Zakharova dismissed the protest, saying
    relations between Russia and North Korea were "a sovereign matter" and "not directed
    against third countries".
    """,
)

SEOUL_ENVOY_COPIES = (
    Republication(
        outlet="24newsdesk.example",
        section="world",
        slug="south-korea-summons-russian-ambassador-over-pyongyang-arms-pact",
        published="2026-11-20 01:28:04",
    ),
    Republication(
        outlet="www.harbourgazette.example",
        section="world",
        slug="south-korea-russia-ambassador-north-korea-military-pact",
        published="2026-11-19 21:12:00",
        title="Seoul protests to Moscow over military pact with North Korea",
        authors=("Staff and agencies",),
    ),
    Republication(
        outlet="news.meridiantimes.example",
        section="world",
        slug="south-korea-russia-north-korea-envoy",
        published="2026-11-19 16:40:00",
        lede="""
        Seoul called in Moscow's envoy on Thursday, protesting against a new agreement on
        military cooperation that Russia signed in Pyongyang this week and warning that any
        help for North Korea's weapons programmes would be treated as a direct threat.
        """,
        cut=3,
    ),
    Republication(
        outlet="www.pacificledger.example",
        section="world",
        slug="south-korea-summons-russian-ambassador",
        published="2026-11-20 09:05:00",
        title="South Korea hauls in Russian envoy as Moscow deepens military ties with Pyongyang",
        local=(
            6,
            """
            In Canberra, the Department of Foreign Affairs and Trade said Australia shared
            South Korea's concern and would raise the agreement with partners at the UN, where
            Australia has co-sponsored resolutions on North Korean sanctions enforcement.
            """,
        ),
        authors=("Agence France-Presse",),
    ),
)

GULF_TORNADOES = WireStory(
    story_id="ap-2026-11-tornadoes-mississippi-alabama",
    agency="AP",
    language="en",
    topic="weather",
    title="Tornadoes tear through Mississippi and Alabama, killing at least 9",
    authors=("Dana Whitfield", "Marcus Bell"),
    text="""
    JACKSON, Miss. (AP) — A line of powerful storms spawned tornadoes across Mississippi and
    Alabama overnight, killing at least nine people, flattening homes and leaving more than
    120,000 customers without power on Wednesday morning, officials said.

    Six people died in Mississippi, including a couple whose mobile home was thrown across a
    county road near Yazoo City, the state's emergency management agency said. Three deaths
    were confirmed in Alabama, two of them in Tuscaloosa County.

    The National Weather Service said it had issued more than 40 tornado warnings between late
    Tuesday afternoon and dawn, an unusually active outbreak for late November. Survey teams
    were heading out to rate the strength of at least a dozen suspected tornadoes.

    "It sounded like a freight train and then it was just gone — the roof, the porch, the
    truck," said Loretta Hines, 67, standing in what was left of her kitchen in the community
    of Bentonia. "We got in the bathtub with a mattress. That's the only reason we're here."

    In Alabama, the storms damaged a middle school and a fire station in Northport and brought
    down trees on homes in Birmingham's western suburbs. Crews worked through the night to
    clear roads so that ambulances could reach the worst-hit neighbourhoods.

        In Yazoo County, rescuers searched through debris with flashlights for much of the
        night. Sheriff's deputies went door to door along rural roads where downed power lines
        and trees blocked access, and several people were pulled from damaged homes with minor
        injuries.

        At least 30 people were treated at hospitals in Jackson and Tuscaloosa, officials said.
        A 9-year-old boy was in critical condition after a tree fell on his family's house in
        Northport.

    Mississippi Gov. Tate Reeves declared a state of emergency for 14 counties and said the
    state would seek federal disaster assistance once damage assessments were complete.

    Forecasters had warned for days that a strong cold front colliding with warm, humid air
    from the Gulf would create conditions ripe for severe weather. Late-autumn outbreaks are
    not rare in the Southeast, where a second tornado season often peaks in November.

    The storm system was moving east on Wednesday, with the Storm Prediction Center warning of
    damaging winds and isolated tornadoes in Georgia and the Carolinas later in the day.

    The Red Cross opened shelters in Yazoo City, Canton and Tuscaloosa, and utility companies
    said it could take until the weekend to restore power to the hardest-hit rural areas.
    """,
)

GULF_TORNADOES_COPIES = (
    Republication(
        outlet="news.meridiantimes.example",
        section="us",
        slug="tornadoes-mississippi-alabama-deaths",
        published="2026-11-25 07:45:00",
    ),
    Republication(
        outlet="www.northbridgepost.example",
        section="world",
        slug="tornadoes-kill-9-in-mississippi-alabama",
        published="2026-11-25 09:20:00",
        title="Late-season tornadoes kill at least 9 in U.S. South",
        cut=2,
    ),
    Republication(
        outlet="24newsdesk.example",
        section="world",
        slug="tornadoes-kill-nine-in-us-south",
        published="2026-11-25 19:02:37",
        lede="""
        At least nine people were killed when tornadoes ripped through the US states of
        Mississippi and Alabama overnight, destroying homes and cutting power to more than
        120,000 customers, officials said on Wednesday.
        """,
        authors=(),
    ),
    Republication(
        outlet="www.harbourgazette.example",
        section="world",
        slug="us-tornadoes-mississippi-alabama",
        published="2026-11-25 15:30:00",
        title="Nine dead as tornadoes sweep across Mississippi and Alabama",
        cut=3,
        authors=("Associated Press",),
    ),
)

OPEC_CUTS = WireStory(
    story_id="reuters-2026-11-opec-extends-cuts",
    agency="Reuters",
    language="en",
    topic="economy",
    title="Oil jumps as OPEC+ agrees to extend output cuts into 2027",
    authors=("Hadeel Nasser", "Olivia Kranz"),
    text="""
    LONDON/DUBAI, Nov 26 (Reuters) - Oil prices rose more than 2% on Thursday after OPEC+
    agreed to extend its voluntary production cuts until the end of March 2027, surprising
    some traders who had expected the group to begin returning barrels to the market.

    Brent crude futures were up $1.52, or 2.3%, at $67.84 a barrel by 1130 GMT, while U.S. West
    Texas Intermediate crude rose $1.41, or 2.2%, to $64.09. Both benchmarks had fallen for
    three consecutive weeks on worries about slowing demand in China.

    The Organization of the Petroleum Exporting Countries and allies led by Russia said after
    an online meeting that eight members would keep 1.65 million barrels per day of voluntary
    cuts in place for another quarter and review market conditions monthly.

    "The group has shown again that it prefers to defend prices rather than chase market
    share," said Tamsin Rowe, an analyst at Brightwater Energy in London. "That puts a floor
    under Brent in the mid-sixties, at least until spring."

    Saudi Energy Minister Prince Abdulaziz bin Salman told reporters the decision was
    "pre-emptive and cautious", pointing to high inventories and uncertainty over the pace of
    economic growth in major consuming countries next year.

        The group also agreed to extend a mechanism for members that overproduced to make
        compensation cuts until the end of June 2027, and said it would hold its next full
        ministerial meeting in Vienna in May.

        Prices had come under pressure in recent weeks as traders priced in a surplus next year.
        Several banks, including Goldman Sachs and Morgan Stanley, had lowered their 2027 Brent
        forecasts to around $60 a barrel before the meeting.

    Some analysts questioned whether all members would comply. Iraq and Kazakhstan have
    repeatedly pumped above their quotas this year and have promised compensation cuts to make
    up for the excess.

    Supply from outside the group continued to grow, with record output in the United States,
    Brazil and Guyana expected to add more than one million barrels per day in 2027, according
    to the International Energy Agency.

    Energy shares led gains in Europe, with the STOXX 600 oil and gas index up 1.8%, while the
    Norwegian crown and Canadian dollar strengthened against the U.S. dollar.
    """,
)

OPEC_CUTS_COPIES = (
    Republication(
        outlet="www.pacificledger.example",
        section="business",
        slug="oil-jumps-opec-extends-output-cuts",
        published="2026-11-27 06:15:00",
        local=(
            7,
            """
            On the ASX, energy stocks rallied in early trade, with the S&P/ASX 200 energy index
            up 2.1 per cent, and analysts said the decision would support LNG export prices
            that are linked to crude.
            """,
        ),
    ),
    Republication(
        outlet="www.harbourgazette.example",
        section="business",
        slug="oil-prices-opec-plus-extends-cuts",
        published="2026-11-26 12:48:00",
        title="Oil prices climb after Opec+ keeps production cuts until March 2027",
    ),
    Republication(
        outlet="www.northbridgepost.example",
        section="business",
        slug="oil-opec-cuts-extended-alberta",
        published="2026-11-26 08:05:00",
        local=(
            3,
            """
            In Calgary, shares of oil sands producers rose in early trading, and economists
            said firmer prices would help Alberta's budget, which assumed an average price of
            $US68 a barrel for West Texas Intermediate.
            """,
        ),
        cut=2,
        authors=("Reuters",),
    ),
)

STORM_NORTH = WireStory(
    story_id="dpa-2026-11-sturmtief-norddeutschland",
    agency="dpa",
    language="de",
    topic="weather",
    title="Sturmtief «Henrike» legt Bahnverkehr im Norden lahm",
    authors=(),
    text="""
    Hamburg (dpa) - Orkanböen, umgestürzte Bäume und gesperrte Strecken: Das Sturmtief
    «Henrike» hat am Montag in weiten Teilen Norddeutschlands den Verkehr durcheinandergebracht.
    Die Deutsche Bahn stellte den Fernverkehr zwischen Hamburg, Bremen, Hannover und Berlin
    vorübergehend vollständig ein.

    An der Nordseeküste erreichte der Wind nach Angaben des Deutschen Wetterdienstes (DWD) in
    der Nacht Spitzengeschwindigkeiten von bis zu 140 Kilometern pro Stunde. Auf dem Brocken im
    Harz wurden sogar 158 Kilometer pro Stunde gemessen.

    Bei der Bahn blockierten nach Angaben eines Sprechers mehr als 60 umgestürzte Bäume die
    Gleise. Reisende sollten ihre Fahrten nach Möglichkeit verschieben, Fahrkarten für den
    Montag könnten flexibel bis zum kommenden Sonntag genutzt werden.

    Auch auf den Straßen kam es zu zahlreichen Unfällen. Auf der Autobahn 7 bei Neumünster
    kippte ein Lastwagen um, der Fahrer wurde leicht verletzt. In Bremen wurde ein Autofahrer
    schwer verletzt, als ein Baum auf seinen Wagen stürzte.

        In Bremerhaven wurde ein Containerterminal vorübergehend geschlossen, weil die Kräne bei
        den starken Böen nicht betrieben werden durften. Auch im Hamburger Hafen ruhte der
        Umschlag an mehreren Terminals für einige Stunden.

        Feuerwehren in Niedersachsen, Bremen und Schleswig-Holstein rückten bis zum Vormittag zu
        mehr als 1500 Einsätzen aus. Meist ging es um umgestürzte Bäume, herabgefallene Äste und
        lose Dachziegel. In Kiel wurde eine Fußgängerin von einem herabstürzenden Ast getroffen
        und leicht verletzt.

    Der Hamburger Fischmarkt wurde am frühen Morgen überflutet, der Pegel der Elbe stieg auf
    etwa zwei Meter über dem mittleren Hochwasser. Die Behörden sprachen von einer leichten
    Sturmflut, für die Innenstadt bestand nach ihren Angaben keine Gefahr.

    In Niedersachsen und Schleswig-Holstein fiel in vielen Schulen der Unterricht aus. Mehrere
    Fährverbindungen zu den Nordseeinseln wurden gestrichen, am Flughafen Hamburg fielen bis
    zum Mittag mehr als 40 Starts und Landungen aus.

    Der DWD rechnete damit, dass der Sturm im Laufe des Dienstags nach Osten abzieht. Dann
    drohen vor allem in den Mittelgebirgen Schnee und Glätte. In Lagen oberhalb von 600 Metern
    könnten bis zu 15 Zentimeter Neuschnee fallen.

    Meteorologen zufolge sind schwere Herbststürme im November nichts Ungewöhnliches. Die
    Häufung starker Sturmtiefs in den vergangenen Jahren werde aber genau beobachtet, sagte
    eine DWD-Sprecherin in Offenbach.
    """,
)

STORM_NORTH_COPIES = (
    Republication(
        outlet="www.rheinkurier.example",
        section="panorama",
        slug="sturmtief-henrike-bahn-stellt-fernverkehr-ein",
        published="2026-11-23 10:42:00",
        title="Orkanböen im Norden: Bahn stoppt Fernverkehr wegen «Henrike»",
    ),
    Republication(
        outlet="www.alpenrundschau.example",
        section="chronik",
        slug="sturmtief-henrike-norddeutschland-bahn",
        published="2026-11-23 12:10:00",
        local=(
            7,
            """
            Auch in Österreich sorgte der Ausläufer des Sturmtiefs für Einsätze. In Salzburg
            und Oberösterreich rückten die Feuerwehren nach Angaben des Landesfeuerwehrverbandes
            zu mehr als 200 Einsätzen aus, meist wegen umgestürzter Bäume.
            """,
        ),
        authors=("APA/dpa",),
    ),
    Republication(
        outlet="www.seelandcourrier.example",
        section="international",
        slug="sturm-henrike-norddeutschland",
        published="2026-11-23 14:25:00",
        lede="""
        Ein schwerer Herbststurm hat am Montag Norddeutschland getroffen: Die Deutsche Bahn
        stellte wegen umgestürzter Bäume den Fernverkehr zwischen Hamburg, Bremen, Hannover
        und Berlin ein, an der Küste wurden Orkanböen gemessen.
        """,
        cut=2,
    ),
)

WIRE_STORIES: tuple[tuple[WireStory, tuple[Republication, ...]], ...] = (
    (SEOUL_ENVOY, SEOUL_ENVOY_COPIES),
    (GULF_TORNADOES, GULF_TORNADOES_COPIES),
    (OPEC_CUTS, OPEC_CUTS_COPIES),
    (STORM_NORTH, STORM_NORTH_COPIES),
)

"""Texts of the evaluation set's hard negatives, written for it: the same event told by two
agencies in their own words, and later write-throughs of running wire stories."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AgencyReport:
    agency: str
    title: str
    text: str


@dataclass(frozen=True)
class SameEvent:
    """One event, reported independently by two agencies: two stories, not one."""

    slug: str
    topic: str
    reports: tuple[AgencyReport, AgencyReport]


@dataclass(frozen=True)
class RunningUpdate:
    """A later version of a wire story under a new URL: new lede and news, old background."""

    story_id: str
    """The wire story (``WireStory.story_id``) it follows up."""
    title: str
    text: str
    background: int
    """How many closing paragraphs of the earlier version the update keeps."""


SAME_EVENTS: tuple[SameEvent, ...] = (
    SameEvent(
        slug="peru-earthquake",
        topic="disaster",
        reports=(
            AgencyReport(
                "AFP",
                "Strong quake rocks southern Peru, several dead",
                """
                A magnitude 6.8 earthquake struck southern Peru early on Monday, killing at
                least four people and bringing down adobe houses in villages of the Arequipa
                region, the civil defence institute said.

                The quake hit at 4:12 am local time at a depth of 35 kilometres, according to
                the national geophysics institute, and was felt as far away as Lima, where
                residents ran into the streets in their night clothes.

                Rescue teams were sent by helicopter to the Caraveli province, where a
                landslide cut the only road to several mining settlements. President Jose
                Jeri said the army would deliver tents and water within hours.
                """,
            ),
            AgencyReport(
                "Reuters",
                "Earthquake kills at least four in Peru's Arequipa region",
                """
                At least four people died when an earthquake of magnitude 6.8 shook the
                Arequipa region of southern Peru before dawn on Monday, officials said, as
                emergency crews tried to reach remote mining towns cut off by landslides.

                Peru's geophysical institute put the epicentre near the town of Chala on the
                Pacific coast. Mining companies operating in the area said they had
                suspended work underground while engineers inspected tunnels.

                Copper prices rose slightly in early trading on concerns about supply from
                Peru, the world's third-largest producer of the metal, although no major mine
                reported damage by midday.
                """,
            ),
        ),
    ),
    SameEvent(
        slug="ecb-holds-rates",
        topic="economy",
        reports=(
            AgencyReport(
                "AP",
                "European Central Bank leaves interest rates unchanged",
                """
                FRANKFURT, Germany (AP) — The European Central Bank left its benchmark
                interest rate unchanged on Thursday, saying inflation in the 20 countries
                that use the euro was close to its 2% goal and the economy was holding up
                better than feared.

                ECB President Christine Lagarde told reporters the bank was "in a good place"
                but would not commit to any particular path for rates in the coming months,
                pointing to uncertainty over trade tariffs.

                Eurozone inflation was 2.1% in October. The bank's deposit rate has stood at
                2% since June, after eight cuts from a record high of 4%.
                """,
            ),
            AgencyReport(
                "Reuters",
                "ECB keeps deposit rate at 2%, Lagarde sees no urgency to move",
                """
                The ECB held its deposit rate at 2% for a fourth straight meeting on
                Thursday, as policymakers judged that price growth was settling around target
                and saw no urgency to provide more stimulus.

                Markets had fully priced in the decision. The euro edged up against the
                dollar after Lagarde said the risks to growth had become "more balanced",
                while bond yields were little changed.

                Several governing council members have argued in recent weeks that the next
                move could just as well be a hike as a cut, with wage growth slowing but
                services inflation still stubborn.
                """,
            ),
        ),
    ),
    SameEvent(
        slug="copa-final",
        topic="sport",
        reports=(
            AgencyReport(
                "AP",
                "Racing beats Flamengo on penalties to win the Copa Libertadores",
                """
                MONTEVIDEO, Uruguay (AP) — Racing Club won the Copa Libertadores for the
                first time in 58 years on Saturday, beating Flamengo 4-3 on penalties after a
                1-1 draw in the final at Centenario Stadium.

                Goalkeeper Gabriel Arias saved two spot kicks, and Adrian Martinez scored the
                decisive penalty as thousands of Racing fans who had crossed the River Plate
                from Buenos Aires celebrated in the stands.

                Flamengo had taken the lead through Pedro in the 34th minute before Martinez
                equalised with a header early in the second half.
                """,
            ),
            AgencyReport(
                "AFP",
                "Racing end 58-year wait for South American crown",
                """
                Argentina's Racing Club are champions of South America again after a
                penalty shoot-out victory over Brazilian giants Flamengo in Montevideo,
                ending a wait that began with their only previous title in 1967.

                "This is for every generation that waited," coach Gustavo Costas said, in
                tears, after his side held their nerve while two Flamengo players were
                denied by Arias.

                The club from Avellaneda will represent the continent at the Club World Cup,
                and their players are due to parade the trophy through the suburbs of Buenos
                Aires on Monday.
                """,
            ),
        ),
    ),
    SameEvent(
        slug="ariane-launch",
        topic="science",
        reports=(
            AgencyReport(
                "AFP",
                "Ariane 6 puts European weather satellite into orbit",
                """
                Europe's Ariane 6 rocket lifted off from Kourou in French Guiana on Tuesday
                evening and placed a new weather satellite into orbit, the European Space
                Agency said, in the fifth flight of the heavy launcher.

                The Metop-SG satellite will measure temperature, humidity and ozone from
                an altitude of about 830 kilometres and should improve forecasts across the
                continent from 2027, according to its operator Eumetsat.

                Arianespace said it planned up to eight Ariane 6 launches next year as
                Europe tries to reduce its dependence on SpaceX for access to space.
                """,
            ),
            AgencyReport(
                "Reuters",
                "Europe launches Metop weather satellite on Ariane 6 rocket",
                """
                An Ariane 6 rocket carrying a European polar-orbiting weather satellite
                blasted off on schedule on Tuesday, giving the continent's new launcher a
                much-needed run of successes after years of delays.

                The satellite separated from the upper stage about an hour after launch, and
                ground controllers in Darmstadt confirmed they had received its first
                signals.

                The 4 billion euro Ariane 6 programme has faced criticism over costs, and
                member states are debating whether to open future European launches to
                competing start-ups.
                """,
            ),
        ),
    ),
)

RUNNING_UPDATES: tuple[RunningUpdate, ...] = (
    RunningUpdate(
        story_id="ap-2026-11-tornadoes-mississippi-alabama",
        title="Death toll from Mississippi and Alabama tornadoes rises to 14",
        text="""
        JACKSON, Miss. (AP) — The number of people killed by tornadoes that tore across
        Mississippi and Alabama rose to 14 on Thursday as rescuers reached homes in rural
        areas that had been cut off by fallen trees and power lines.

        Mississippi Governor Tate Reeves asked President Donald Trump for a federal disaster
        declaration, saying damage to homes, farms and roads in eight counties would exceed
        what the state could cover on its own.

        The National Weather Service confirmed that the tornado that struck near Yazoo City
        was rated EF-3, with winds of up to 150 mph, and that it stayed on the ground for
        more than 30 miles.
        """,
        background=2,
    ),
    RunningUpdate(
        story_id="afp-2026-11-seoul-summons-russian-envoy",
        title="Russia summons South Korean envoy in tit-for-tat over Pyongyang pact",
        text="""
        Russia summoned South Korea's ambassador on Friday, a day after Seoul protested over
        a military agreement between Moscow and Pyongyang, accusing South Korea of
        "interference in relations between sovereign states".

        The Russian foreign ministry said it had told Ambassador Lee Dohoon that Seoul's
        statements were "unacceptable" and that cooperation with North Korea complied with
        international law.

        South Korean President Lee Jae-myung said in Seoul that his government would keep
        channels to Moscow open but would "respond firmly" to any transfer of sensitive
        military technology to the North.
        """,
        background=3,
    ),
    RunningUpdate(
        story_id="reuters-2026-11-opec-extends-cuts",
        title="Oil falls back as traders doubt OPEC+ cuts will hold",
        text="""
        Oil prices gave up their gains on Friday as traders questioned whether all members
        of OPEC+ would respect the output cuts that the group extended earlier in the week.

        Brent crude fell 1.8% to $63.10 a barrel by midday in London, while West Texas
        Intermediate lost 2% after data showed that US inventories rose for a third week.

        Analysts at several banks said Kazakhstan and Iraq had pumped above their quotas for
        most of the year, and that the group had so far shown little appetite to punish
        members that overproduce.
        """,
        background=2,
    ),
    RunningUpdate(
        story_id="dpa-2026-11-sturmtief-norddeutschland",
        title="Nach dem Sturm: Bahn nimmt Verkehr im Norden schrittweise wieder auf",
        text="""
        Nach dem schweren Sturm über Norddeutschland hat die Deutsche Bahn den Fernverkehr
        zwischen Hamburg und Berlin am Freitagmorgen wieder aufgenommen. Auf mehreren
        Regionalstrecken in Schleswig-Holstein fahren weiterhin Ersatzbusse.

        Reparaturtrupps hätten in der Nacht mehr als 200 umgestürzte Bäume von den Gleisen
        geräumt und beschädigte Oberleitungen ersetzt, teilte ein Bahnsprecher mit. Fahrgäste
        sollten sich vor Reiseantritt über ihre Verbindung informieren.

        Der Deutsche Wetterdienst hob die Unwetterwarnungen für die Küste auf. Für das
        Wochenende erwarten die Meteorologen ruhigeres, aber deutlich kälteres Wetter.
        """,
        background=2,
    ),
)

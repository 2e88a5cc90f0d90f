"""Original English-language stories of the demo outlets."""

from __future__ import annotations

from worker.simweb.model import Story

HARBOUR = "www.harbourgazette.example"
NEWSDESK = "24newsdesk.example"
MERIDIAN = "news.meridiantimes.example"
NORTHBRIDGE = "www.northbridgepost.example"
PACIFIC = "www.pacificledger.example"

STORIES: tuple[Story, ...] = (
    Story(
        outlet=HARBOUR,
        section="business",
        topic="economy",
        slug="uk-inflation-falls-october",
        published="2026-11-18 07:00:00",
        modified="2026-11-18 11:20:00",
        title="UK inflation falls to 2.4% as energy bills ease",
        authors=("Fiona Carver",),
        text="""
        Inflation in the UK fell more than expected in October, dropping to 2.4% from 2.9% the
        month before as lower household energy bills and cheaper air fares offset another rise
        in food prices, official figures show.

        The Office for National Statistics said the biggest downward contribution came from
        gas and electricity, after the energy regulator Ofgem's price cap fell by 4% at the
        start of October. Economists polled before the release had expected a rate of 2.6%.

        Core inflation, which strips out volatile items such as energy, food and tobacco, eased
        to 3.1%, its lowest level in more than four years. Services inflation, closely watched
        by the Bank of England, slipped to 4.0%.

        "This is the clearest sign yet that the inflation shock is behind us," said Priya
        Natarajan, chief UK economist at the consultancy Eastgate Partners. "It makes a cut in
        interest rates in December much more likely than it looked a month ago."

        Food prices, however, rose at an annual rate of 4.6%, driven by chocolate, coffee and
        beef. Retailers have warned that higher employer national insurance contributions and
        a poor harvest in parts of Europe will keep grocery bills elevated into next year.

        Markets moved quickly to price in lower borrowing costs. The pound fell by half a cent
        against the dollar and the yield on two-year government bonds dropped to its lowest
        level since the spring.

        The Bank of England's monetary policy committee, which held rates at 3.75% this month,
        meets again on 17 December. Several members have said they want to see services
        inflation fall further before backing another reduction.
        """,
    ),
    Story(
        outlet=HARBOUR,
        section="football",
        topic="sport",
        slug="newcastle-aston-villa-premier-league",
        published="2026-11-22 19:35:00",
        title="Newcastle come from behind to beat Aston Villa and climb to third",
        authors=("Tom Pengelly",),
        text="""
        Newcastle United came from a goal down to beat Aston Villa 2-1 at St James' Park on
        Sunday, moving up to third in the Premier League and ending Villa's run of five games
        without defeat.

        Villa had gone ahead in the 18th minute when their captain, Jonas Ekdahl, headed in a
        corner at the near post, and the visitors defended deep and with discipline for most of
        a scrappy first half.

        The game turned shortly after the interval. Newcastle's young winger Callum Reid, making
        only his third league start, cut inside from the left and curled a shot into the top
        corner from 20 yards to bring the crowd to its feet.

        With 12 minutes remaining, substitute striker Mateus Andrade met a low cross from the
        right at the far post to give the home side the lead. Villa pressed for an equaliser
        but their best chance, a late volley from Ekdahl, was saved at full stretch.

        "The boys showed character," Newcastle's head coach said afterwards. "We were not good
        enough in the first half, we told each other that at the break, and the reaction was
        exactly what you want from a team with ambitions."

        Villa's manager was left to rue his side's inability to keep the ball after the break.
        "We stopped playing," he said. "At this level, if you invite pressure for 40 minutes,
        you get punished."

        The win was Newcastle's fourth in a row at home and came despite the absence of three
        first-team defenders through injury, forcing the coach to hand a debut at left-back to
        an 18-year-old academy graduate, who coped calmly with Villa's pace.

        Newcastle travel to Brentford next weekend, while Villa host Everton at Villa Park.
        """,
    ),
    Story(
        outlet=HARBOUR,
        section="science",
        topic="science",
        slug="jodrell-bank-fast-radio-burst-nearby-galaxy",
        published="2026-11-24 16:00:00",
        title="Astronomers trace mysterious radio burst to a galaxy next door",
        authors=("Helen Okafor",),
        text="""
        Astronomers using a network of radio telescopes led from Jodrell Bank in Cheshire have
        pinned down the origin of a powerful fast radio burst to a star-forming region in a
        galaxy just 12 million light years from Earth, the closest such source yet found.

        Fast radio bursts are flashes of radio waves lasting a few thousandths of a second that
        can release as much energy as the Sun does in days. Thousands have been detected since
        the first was spotted in 2007, but their cause remains one of astronomy's open puzzles.

        The new burst, recorded in August, was bright enough to be seen by telescopes across
        the UK's e-Merlin array and partner dishes in the Netherlands and Sweden, allowing the
        team to locate it with unprecedented precision.

        "It is sitting right in a nursery of young, massive stars," said Dr Anil Verma, who led
        the study, published on Tuesday in the journal Nature Astronomy. "That strongly supports
        the idea that at least some of these bursts come from magnetars, the collapsed cores of
        stars that have only recently died."

        Magnetars are neutron stars with magnetic fields a thousand trillion times stronger than
        Earth's. A burst from a magnetar inside our own galaxy was detected in 2020, but it was
        far weaker than most of those seen from distant galaxies.

        The researchers said the proximity of the new source meant that optical and X-ray
        telescopes could now search for a flash accompanying any repeat burst. The team has
        been awarded observing time on the European Space Agency's XMM-Newton satellite.

        Other astronomers welcomed the result but cautioned against drawing wide conclusions.
        "Fast radio bursts may well have more than one origin," said Prof Maria Castellano of
        the University of Edinburgh, who was not involved in the work.
        """,
    ),
    Story(
        outlet=HARBOUR,
        section="uk-news",
        topic="weather",
        slug="storm-flooding-cumbria-yorkshire",
        published="2026-11-27 08:50:00",
        modified="2026-11-27 14:05:00",
        title="Flood warnings in Cumbria and Yorkshire as heavy rain sweeps northern England",
        authors=("Ben Whitlock", "Sarah Lindqvist"),
        text="""
        Residents in parts of Cumbria and North Yorkshire were told to prepare for flooding on
        Friday after a band of heavy rain brought more than 100mm to the fells overnight, with
        more forecast over the weekend.

        The Environment Agency issued 38 flood warnings, meaning flooding is expected, and more
        than 120 less serious flood alerts across northern England. Severe warnings were in
        place for the River Eden at Appleby and the River Ouse in York.

        In Keswick, sandbags were handed out at the council depot from first light, and several
        roads around Derwentwater were closed. Cumbria police urged drivers not to attempt to
        cross flooded fords after two cars had to be rescued near Cockermouth.

        The Met Office said a yellow warning for rain would remain in force until Sunday
        morning, with a further 60mm to 80mm possible on high ground. Gusts of up to 60mph were
        expected on exposed coasts of the Irish Sea.

        "The ground is already saturated after a wet autumn, so there is very little capacity
        left to absorb more water," said Grace Whitaker, a flood duty manager at the agency.
        "Rivers will respond quickly, and people should act on warnings immediately."

        In York, the Foss barrier was operating and businesses along the riverside moved stock
        to upper floors. The city council said the emergency centre at the Guildhall was ready
        to open if the Ouse rose above five metres.

        Northern Rail cancelled services between Carlisle and Leeds on the Settle line because
        of a landslip near Dent, and said buses would replace trains until at least Monday.
        """,
    ),
    Story(
        outlet=HARBOUR,
        section="culture",
        topic="culture",
        slug="turner-prize-2026-winner",
        published="2026-11-29 21:30:00",
        title="Turner prize 2026 goes to sound artist Imogen Hale for work on coastal erosion",
        authors=("Laurence Amis",),
        text="""
        The sound artist Imogen Hale has won the 2026 Turner prize for an installation built
        from recordings of cliffs collapsing along the Holderness coast in East Yorkshire, one
        of the fastest-eroding coastlines in Europe.

        The work, Two Metres a Year, fills a darkened gallery with the creak of clay, the hiss
        of retreating waves and the voices of residents whose homes have been lost to the sea.
        The title refers to the average rate at which the shoreline is retreating.

        Hale, 41, who grew up in Hull and now lives in Withernsea, received the £25,000 prize at
        a ceremony at Tate Britain in London on Sunday evening. The three other shortlisted
        artists receive £10,000 each.

        Accepting the award, she dedicated it to "everyone who has watched their garden go over
        the edge and been told that nothing can be done". She said she had spent four years
        recording at dawn, when the cliffs are quietest and most likely to fall.

        The jury praised what it called "a work of rare patience and tenderness that makes an
        abstract crisis audible". It also singled out the installation's use of silence, with
        long pauses in which visitors can hear only their own footsteps.

        This year's shortlist was widely seen as one of the strongest in a decade, and included
        a painter, a textile artist and a collective from Glasgow working with archive film.

        Critics had been divided over whether a work with no objects to look at belonged in a
        visual art prize. Hale said she hoped the installation would encourage visitors to
        listen more closely to the places they live, and announced that the recordings would be
        donated to the Hull History Centre.

        The exhibition of the four shortlisted artists continues at Tate Britain until February.
        """,
    ),
    Story(
        outlet=NEWSDESK,
        section="business",
        topic="economy",
        slug="pakistan-imf-staff-level-agreement",
        published="2026-11-17 22:41:10",
        title="Pakistan, IMF reach staff-level agreement on loan review",
        authors=("Staff Reporter",),
        text="""
        Pakistan and the International Monetary Fund have reached a staff-level agreement on the
        third review of the country's $7 billion loan programme, clearing the way for the
        release of about $1.1 billion once the Fund's executive board approves it.

        The agreement was announced on Monday after two weeks of talks in Islamabad and Karachi
        between an IMF mission and officials of the finance ministry and the State Bank of
        Pakistan.

        In a statement, the head of the mission said Pakistan had made "significant progress in
        restoring macroeconomic stability", pointing to lower inflation, a rise in foreign
        exchange reserves and a primary budget surplus in the last fiscal year.

        The Fund urged the government to widen the tax base, particularly in retail, real estate
        and agriculture, and to press ahead with reforms of loss-making state-owned enterprises
        in the power sector.

        Finance ministry officials said the country had met all quantitative performance
        criteria for the end of September, including targets on net international reserves and
        the tax-to-GDP ratio.

        The Pakistan Stock Exchange's benchmark KSE-100 index rose more than 1,200 points on
        Tuesday morning as investors welcomed the agreement, while the rupee firmed slightly in
        the interbank market.

        The programme, approved in 2024, is Pakistan's 24th with the Fund since 1958. It was
        designed to help the country rebuild reserves after a balance of payments crisis brought
        it close to default, and requires the government to raise energy prices and collect more
        taxes.

        Economists cautioned that the programme's targets would become harder to meet next year
        as debt repayments rise and the government faces pressure to increase development
        spending.
        """,
    ),
    Story(
        outlet=NEWSDESK,
        section="pakistan",
        topic="environment",
        slug="smog-lahore-schools-closed",
        published="2026-11-19 11:05:52",
        title="Smog forces schools to close in Lahore as air quality hits hazardous levels",
        authors=("Staff Reporter",),
        text="""
        Authorities in Punjab ordered all schools in Lahore and five other districts to close
        for a week on Thursday as a thick blanket of smog pushed air pollution to hazardous
        levels for the fourth consecutive day.

        The city's air quality index rose above 600 on Wednesday night, according to monitors
        run by the provincial environment department, many times the level considered safe by
        the World Health Organization.

        Hospitals in Lahore reported a sharp rise in patients with breathing problems, sore
        throats and eye infections, and doctors advised residents to wear masks outdoors and
        keep children and the elderly indoors.

        The provincial government also banned the burning of crop stubble, closed brick kilns
        that do not use cleaner zigzag technology and imposed restrictions on smoke-emitting
        vehicles, with traffic police issuing hundreds of fines.

        Visibility on the motorway between Lahore and Islamabad dropped to less than 50 metres
        in the early morning, and sections of the road were closed for several hours.

        Officials say the smog is caused by a mix of vehicle exhaust, industrial emissions and
        the burning of rice stubble on both sides of the border with India, trapped near the
        ground by cold, still air.

        Parents said the closures were becoming a yearly routine. "Every November the children
        lose weeks of school and we are told it is an emergency, as if it was a surprise," said
        Ayesha Malik, a mother of two in the city's Gulberg area.

        Environmental lawyers have petitioned the Lahore High Court to order a long-term clean
        air plan, arguing that temporary bans do little to address the sources of pollution.

        The Pakistan Meteorological Department said light rain expected early next week could
        bring some relief.
        """,
    ),
    Story(
        outlet=NEWSDESK,
        section="sports",
        topic="sport",
        slug="pakistan-beat-sri-lanka-rawalpindi-odi",
        published="2026-11-21 23:14:08",
        title="Pakistan beat Sri Lanka by six wickets in Rawalpindi ODI",
        authors=("Sports Desk",),
        text="""
        Pakistan beat Sri Lanka by six wickets in the first one-day international in Rawalpindi
        on Saturday, chasing down a target of 287 with 11 balls to spare to take a 1-0 lead in
        the three-match series.

        Opener Saad Qureshi led the chase with a fluent 112 off 118 balls, his third century in
        the format, sharing a second-wicket stand of 141 with captain Imran Baig, who made 78.

        Sri Lanka had been put in to bat and recovered from a shaky start thanks to a 96-run
        partnership for the fifth wicket between Dinesh Perera and Kasun Fernando, who both
        made half-centuries.

        Pakistan's fast bowler Arslan Khan took three wickets for 48 runs, including two in
        his final over, while leg-spinner Zubair Ahmed conceded just 39 runs in his ten overs.

        Pakistan lost two quick wickets in the 40th over to give Sri Lanka a glimmer of hope,
        but Faheem Akhtar struck three boundaries in an unbeaten 31 to see his side home.

        "The pitch got better for batting under lights and Saad played beautifully," Baig said
        at the presentation ceremony. "We want to win the series here in front of our crowd."

        The crowd of around 15,000 at the Rawalpindi Cricket Stadium cheered every boundary of
        Qureshi's innings, which included 11 fours and three sixes, two of them in successive
        balls off the Sri Lankan spinners in the 30th over.

        Sri Lanka's captain said his side had been 20 to 30 runs short. "We lost wickets at the
        wrong time in the last ten overs. On this surface you need 310," he said, adding that
        the visitors would consider changes to their bowling attack.

        The second match will be played at the same venue on Monday.
        """,
    ),
    Story(
        outlet=NEWSDESK,
        section="pakistan",
        topic="weather",
        slug="snowfall-gilgit-baltistan-roads-closed",
        published="2026-11-27 16:48:31",
        title="Heavy snowfall cuts off roads in Gilgit-Baltistan",
        authors=("Our Correspondent",),
        text="""
        Heavy snowfall in the mountains of Gilgit-Baltistan has blocked the Karakoram Highway
        and several link roads, stranding hundreds of travellers and cutting off dozens of
        villages, officials said on Friday.

        The region's disaster management authority said up to three feet of snow had fallen in
        the upper reaches of Hunza and Nagar since Wednesday, while the Babusar Pass was closed
        for the season earlier than usual.

        Road crews with heavy machinery were working to reopen the Karakoram Highway near
        Sost, the last town before the Khunjerab Pass on the border with China, where trucks
        carrying goods had been stuck for two days.

        Stranded tourists were moved to hotels and government rest houses in Karimabad and
        Gilgit, and local residents offered food and blankets to travellers trapped in their
        vehicles.

        Flights between Islamabad and Gilgit and Skardu were cancelled for a second day because
        of poor visibility, the national airline said.

        The Pakistan Meteorological Department forecast more snow in the mountains and rain in
        the plains of northern Pakistan over the weekend, and warned of a risk of avalanches in
        steep valleys of Chitral, Astore and Ghizer.

        In the villages of upper Hunza, residents cleared roofs and paths themselves as heavy
        machinery could not reach them. Local officials said medical teams were on standby and
        that a helicopter would be used if any patients needed to be evacuated.

        Traders in Gilgit said the closure of the road to China at the peak of the winter
        stocking season would push up the prices of vegetables and fuel in the coming weeks.

        Authorities advised people against travelling to the northern areas until roads had
        been cleared and asked residents to stock up on fuel and food.
        """,
    ),
    Story(
        outlet=MERIDIAN,
        section="politics",
        topic="politics",
        slug="senate-passes-stopgap-spending-bill",
        published="2026-11-20 23:10:00",
        title="Senate passes stopgap spending bill, averting a shutdown before Thanksgiving",
        authors=("Rachel Dumont",),
        text="""
        WASHINGTON — The Senate voted late Friday to keep the federal government funded through
        the end of January, sending a stopgap spending bill to the president's desk hours before
        a midnight deadline and averting a shutdown days before Thanksgiving.

        The measure passed 71 to 27, with a majority of Republicans and Democrats in favor after
        leaders of both parties agreed to drop a disputed provision on border security funding
        and to hold separate votes on disaster aid next month.

        The House approved the bill on Wednesday. The White House said the president would sign
        it on Saturday morning.

        "Nobody loves a continuing resolution, but shutting down the government before the
        holidays would have been an act of self-harm," the Senate majority leader said on the
        floor before the vote.

        Democrats said the agreement left important questions unresolved, including money for
        communities hit by hurricanes and wildfires this year, and accused Republicans of
        using the deadline to push through spending cuts.

        Appropriators now have eight weeks to negotiate the twelve annual spending bills for
        the fiscal year that began on Oct. 1, a task that Congress has not completed on time in
        nearly three decades.

        The bill also extends several expiring programs, including a farm bill authorization and
        funding for community health centers, and includes $2.5 billion for wildfire fighting
        that the Forest Service said it needed to avoid diverting money from prevention work.

        Federal employee unions welcomed the vote but criticized the repeated brinkmanship. "Our
        members should not have to wonder every few months whether they will get paid," the
        president of the American Federation of Government Employees said in a statement.
        """,
    ),
    Story(
        outlet=MERIDIAN,
        section="science",
        topic="science",
        slug="gulf-of-maine-warming-lobster-study",
        published="2026-11-23 11:00:00",
        title="Warming Gulf of Maine is pushing young lobsters into deeper water, study finds",
        authors=("Karen Lowell",),
        text="""
        The Gulf of Maine, one of the fastest-warming bodies of water on Earth, is driving young
        lobsters away from the shallow rocky nurseries where they have grown for generations,
        according to a study published Monday.

        Researchers from the University of Maine and the Bigelow Laboratory for Ocean Sciences
        analyzed 35 years of surveys in which divers counted juvenile lobsters along the coast
        from Cape Cod to New Brunswick.

        They found that the density of young lobsters in water less than 30 feet deep had fallen
        by more than half since 2012 in southern and midcoast Maine, while numbers in deeper,
        cooler water had risen.

        "The lobsters are not disappearing, they are moving," said Dr. Elena Marsh, a marine
        ecologist and the study's lead author. "But deeper water has fewer places to hide, and
        we don't yet know whether they survive there as well."

        Maine's lobster fishery, worth more than $450 million a year at the dock, is the most
        valuable single-species fishery in the United States, and landings have declined since
        a record high in 2016.

        Fishermen in Stonington and Vinalhaven said the findings matched what they had seen on
        the water. "We're setting traps farther out every year," said Luke Hardy, who has fished
        out of Stonington for 31 years.

        Since the early 1980s, average sea surface temperatures in the Gulf of Maine have risen
        faster than in 96 percent of the world's oceans, according to the Gulf of Maine Research
        Institute in Portland, with marine heat waves becoming more common and longer-lasting.

        The study, published in the journal Global Change Biology, recommends expanding surveys
        into deeper water to better forecast future catches.
        """,
    ),
    Story(
        outlet=MERIDIAN,
        section="business",
        topic="economy",
        slug="black-friday-online-sales-record",
        published="2026-11-28 09:30:00",
        title="Black Friday online sales hit a record $11.9 billion as shoppers hunt for deals",
        authors=("Jason Ortiz", "Mei Lin Cho"),
        text="""
        Americans spent a record $11.9 billion online on Black Friday, up 8 percent from last
        year, as retailers offered steep discounts on electronics, toys and clothing to lure
        cautious shoppers, according to data from the analytics firm Cartwell Digital.

        Purchases made on smartphones accounted for 57 percent of online sales, and "buy now,
        pay later" services were used for nearly $1 billion in transactions, a new high for the
        day after Thanksgiving.

        Foot traffic in physical stores was roughly flat compared with last year, according to
        a separate count of visits to malls and big-box retailers, with crowds thinner in the
        early morning than in the years before the pandemic.

        "Consumers are still spending, but they are very price-sensitive," said Nadia Brooks,
        a retail analyst. "They did their research weeks in advance and they came out for the
        biggest discounts, especially on televisions, gaming consoles and small appliances."

        Retailers have been watching holiday sales closely for signs of how tariffs on imported
        goods are affecting prices. Several large chains said they had stocked up on inventory
        early in the year to avoid passing higher costs on to customers.

        The National Retail Federation has forecast that holiday sales in November and December
        will grow between 3 and 3.5 percent, a slower pace than last year.

        The biggest increases came in categories that had been discounted most heavily. Online
        sales of toys rose 14 percent from a typical October day, and sales of smart watches,
        headphones and televisions more than doubled, the firm said.

        Attention now shifts to Cyber Monday, which is expected to be the biggest online
        shopping day of the year.
        """,
    ),
    Story(
        outlet=MERIDIAN,
        section="sports",
        topic="sport",
        slug="lions-beat-bears-thanksgiving",
        published="2026-11-26 16:55:00",
        title="Lions hold off Bears in Thanksgiving thriller at Ford Field",
        authors=("Derek Walsh",),
        text="""
        DETROIT — The Detroit Lions survived a late rally by the Chicago Bears to win 31-27 on
        Thursday in their traditional Thanksgiving Day game, improving to 9-3 and keeping pace
        in the race for the top seed in the NFC.

        Detroit led 31-17 early in the fourth quarter after a 42-yard touchdown run by rookie
        running back Isaiah Grant, but Chicago scored 10 unanswered points and drove to the
        Lions' 14-yard line in the closing minute.

        On fourth down with 19 seconds left, Detroit's defense pressured the Bears' quarterback
        into an incompletion in the end zone, setting off celebrations among the crowd of more
        than 65,000 at Ford Field.

        The Lions' quarterback completed 24 of 33 passes for 281 yards and two touchdowns, both
        to wide receiver Andre Collins, who finished with nine catches for 126 yards.

        "That's a holiday game, that's what it's all about," the Lions' coach said. "Our guys
        didn't flinch when it got tight, and the defense made the play we needed."

        The Bears fell to 6-6 and face a difficult path to the playoffs, with four of their
        final five games against teams with winning records.

        Chicago's quarterback threw for 302 yards and three touchdowns, including a 27-yard
        strike to tight end Jamal Price that cut the lead to 31-24 with just under seven minutes
        to go. A field goal from 44 yards brought the Bears within four with 2:10 left.

        The Bears' defense had kept them in the game, forcing two turnovers in the first half,
        one of which led to a short touchdown drive late in the second quarter that tied the
        score at 17.

        The Lions have played on Thanksgiving every year since 1934, except during World War II.
        """,
    ),
    Story(
        outlet=MERIDIAN,
        section="weather",
        topic="weather",
        slug="lake-effect-snow-buffalo",
        published="2026-11-29 14:20:00",
        title="Lake-effect snow buries Buffalo suburbs under three feet",
        authors=("Anne Kowalski",),
        text="""
        BUFFALO, N.Y. — A lake-effect snowstorm dumped more than three feet of snow on suburbs
        south of Buffalo over the weekend, closing highways, stranding holiday travelers and
        prompting a travel ban in several towns on Sunday.

        The National Weather Service said 41 inches had fallen in Orchard Park by Sunday morning,
        and up to a foot more was possible in narrow bands off Lake Erie before the storm eased
        on Monday.

        Erie County officials banned all nonessential travel in Hamburg, Orchard Park and West
        Seneca and closed a 60-mile stretch of the New York State Thruway to commercial vehicles.
        Buffalo Niagara International Airport remained open but reported dozens of delays.

        "If you don't need to be on the road, please stay home," the county executive said at a
        briefing. "Our plows cannot keep up when it's snowing at three or four inches an hour."

        Lake-effect snow forms when frigid air passes over relatively warm lake water, picking
        up moisture that falls as heavy snow in narrow bands downwind. Amounts can vary wildly
        over short distances: downtown Buffalo received only four inches.

        The storm arrived as many travelers were returning from Thanksgiving. The state
        deployed National Guard members to help clear roads and check on residents.

        Residents dug out cars buried to their roofs and neighbors with snowblowers cleared
        driveways along entire streets. "You get used to it, but this is a lot even for us,"
        said Tom Rizzo, 58, shoveling the front steps of his home in Hamburg.

        Forecasters said a thaw later in the week could bring a risk of flooding as the snow
        melts.
        """,
    ),
    Story(
        outlet=MERIDIAN,
        section="culture",
        topic="culture",
        slug="our-town-broadway-revival-review",
        published="2026-11-21 12:00:00",
        title="A stripped-down 'Our Town' revival finds new ache in an old play",
        authors=("Philip Marsh",),
        text="""
        NEW YORK — Thornton Wilder asked for no scenery in "Our Town", and the director of the
        new Broadway revival that opened Thursday at the Ethel Barrymore Theatre has taken him
        at his word: the stage is bare but for two ladders, a handful of chairs and a single
        hanging bulb.

        The result is a production of unusual intimacy, in which a cast of 18 plays Grover's
        Corners, New Hampshire, in work clothes and sneakers, and the audience is never allowed
        to forget it is watching actors in a theater in Midtown Manhattan in 2026.

        As the Stage Manager, the narrator who guides us through the life of the town, Lorraine
        Webb is warm, wry and a little tired, like a favorite teacher at the end of a long year.
        She speaks to the audience as if she has known each of us for years.

        The young lovers, Emily Webb and George Gibbs, are played by two actors making their
        Broadway debuts, and their drugstore scene in the second act, played on two stools with
        nothing between them, is as tender as anything on a New York stage this season.

        It is the third act, set in the hilltop cemetery, that leaves the audience in tears.
        Emily's return to relive a single ordinary morning is staged in near darkness, lit only
        by the bulb, and her question — whether anyone realizes life while they live it — lands
        with devastating simplicity.

        Not every choice works. A recorded soundscape of traffic and sirens that intrudes on the
        wedding scene feels like a director underlining a point the play makes perfectly well on
        its own, and the first act, deliberately slow, tests the patience of the audience at
        times.

        "Our Town" runs through March 28.
        """,
    ),
    Story(
        outlet=NORTHBRIDGE,
        section="canada",
        topic="politics",
        slug="ottawa-housing-accelerator-new-funding",
        published="2026-11-17 14:30:00",
        title="Ottawa promises $4B more to speed up home building in Canadian cities",
        authors=("Claire Beaulieu",),
        text="""
        The federal government will spend another $4 billion over four years to help cities
        speed up construction of new homes, the housing minister announced Tuesday in Halifax,
        as Ottawa tries to show progress on a pledge to double the pace of building.

        The money will go to municipalities that agree to cut development charges, allow four
        units on any residential lot and approve apartment buildings near transit without public
        hearings, the minister said.

        Canada started about 245,000 new homes last year, according to the Canada Mortgage and
        Housing Corporation, well short of the roughly 480,000 a year that the agency says are
        needed to restore affordability by the end of the decade.

        Mayors welcomed the funding but said cities could not cut development charges without
        another way to pay for water, sewer and transit infrastructure that new neighbourhoods
        need.

        "We're being asked to build faster with one hand tied behind our back," said the mayor
        of Mississauga. "If development charges go down, someone still has to pay for the
        pipes."

        Opposition critics called the announcement a repackaging of existing programs and said
        rents and prices remained out of reach for young families in Toronto and Vancouver.

        The announcement builds on the Housing Accelerator Fund launched in 2023, which Ottawa
        says has helped approve more than 750,000 homes over the next decade in the cities that
        signed agreements.

        Builders said the pledges would matter only if they led to shovels in the ground.
        "Approvals are not starts," said the head of a national home builders' association,
        pointing to high construction costs and a shortage of skilled trades.

        The minister said the first agreements with provinces and cities would be signed early
        next year.
        """,
    ),
    Story(
        outlet=NORTHBRIDGE,
        section="sports",
        topic="sport",
        slug="grey-cup-blue-bombers-win-at-home",
        published="2026-11-15 23:40:00",
        title="Blue Bombers win Grey Cup on home turf in Winnipeg",
        authors=("Jordan McAllister",),
        text="""
        The Winnipeg Blue Bombers won the 113th Grey Cup on Sunday, beating the Toronto
        Argonauts 27-20 in front of a sold-out crowd at Princess Auto Stadium and becoming the
        first team in more than a decade to lift the trophy in its home stadium.

        Running back Tyrell Osei scored two touchdowns, including a 38-yard run with four
        minutes remaining that broke a 20-20 tie, and was named the game's most valuable
        player.

        The Argonauts had a chance to tie the game on their final drive but a fourth-down pass
        in the end zone was knocked away by Bombers defensive back Malik Ferreira with 41
        seconds left.

        Temperatures dropped to minus 11 C by kickoff, and fans bundled in blue and gold sang
        and stamped their feet through four quarters in one of the coldest Grey Cups on record.

        "To do it here, in front of these people, in this weather — you can't write it any
        better," Osei said as confetti fell on the field. "This city deserved this one."

        It was Winnipeg's 13th championship and its third in eight seasons. Toronto had been
        seeking back-to-back titles after winning last year's final in Vancouver.

        Winnipeg's quarterback completed 19 of 28 passes for 241 yards and a touchdown, finding
        slotback Eric Dumont for a 26-yard score just before halftime to give the home side a
        17-13 lead.

        Toronto led 13-10 after a first half dominated by its defence, which sacked the Winnipeg
        quarterback four times. The Argonauts' kicker made all four of his field goal attempts,
        including a 51-yarder into the wind.

        A parade is planned for Tuesday along Portage Avenue.
        """,
    ),
    Story(
        outlet=NORTHBRIDGE,
        section="science",
        topic="science",
        slug="northern-lights-dazzle-across-canada",
        published="2026-11-20 10:15:00",
        modified="2026-11-20 16:00:00",
        title="Northern lights dazzle skywatchers as far south as Toronto",
        authors=("Priya Sandhu",),
        text="""
        A strong geomagnetic storm lit up skies across Canada on Thursday night, with vivid
        displays of the northern lights seen from Yellowknife to St. John's and, for a few
        hours, as far south as Toronto and Windsor.

        Photos shared on social media showed curtains of green, purple and red over the Rocky
        Mountains in Banff, above the Confederation Bridge in Prince Edward Island and over the
        CN Tower.

        Natural Resources Canada's space weather forecast centre had issued a warning on
        Wednesday after a large eruption of charged particles from the sun, known as a coronal
        mass ejection, headed toward Earth.

        "The sun is near the peak of its roughly 11-year cycle, so we expect more of these
        events over the next year or two," said Dr. Samuel Ng, a space physicist at the
        University of Calgary.

        The storm caused minor disruptions to high-frequency radio and GPS signals in the far
        north, but Hydro-Québec and other utilities said their grids were not affected.

        Experts advise those hoping to see future displays to get away from city lights, look
        north after 10 p.m. and use a phone camera, which often picks up colours that the eye
        cannot.

        In Toronto, hundreds of people gathered on the beaches of the eastern waterfront and at
        the top of Riverdale Park, many of them seeing the aurora for the first time. "I grew up
        here and I never thought I'd see this in the city," said Maria Costa, 29.

        Astronomy clubs reported a surge of calls and messages. The Royal Astronomical Society
        of Canada said it would hold a free online session next week explaining how to forecast
        and photograph the aurora.

        Forecasters said activity would ease over the weekend.
        """,
    ),
    Story(
        outlet=NORTHBRIDGE,
        section="arts",
        topic="culture",
        slug="giller-prize-winner-2026",
        published="2026-11-16 22:05:00",
        title="Halifax writer Maeve Donnelly wins Giller Prize for debut novel",
        authors=("Elliot Grant",),
        text="""
        Halifax writer Maeve Donnelly has won the Giller Prize, one of Canada's richest
        literary awards, for her debut novel The Salt Year, a story of three generations of a
        fishing family on Nova Scotia's South Shore.

        Donnelly, 34, received the $100,000 prize at a ceremony in Toronto on Monday night. The
        four other finalists each receive $10,000.

        The jury described the novel as "a book of enormous heart and formal daring", praising
        the way it moves between a 1950s kitchen, a modern fish plant and a future in which the
        cod have not come back.

        Donnelly, who worked as a deckhand and a high school teacher before turning to fiction,
        said she wrote much of the book in the early mornings before her shifts.

        "I wanted to write about the people I grew up with without making them quaint," she
        said in her acceptance speech. "They are funny and sharp and they know exactly what has
        been lost."

        Her publisher, a small independent house in Halifax, said it had ordered a reprint of
        20,000 copies on Tuesday morning.

        The Salt Year was published in March by Breakwater Lane Press, which printed only 3,000
        copies at first. It gained readers steadily through independent bookstores in Atlantic
        Canada before appearing on the prize's longlist in September.

        The other finalists included a Montreal novelist writing about a family restaurant in
        Chinatown, a Vancouver short-story writer and two authors from Toronto. The jury read
        138 books submitted by publishers across the country.

        The prize was founded in 1994 by Jack Rabinovitch in memory of his wife, the literary
        journalist Doris Giller.
        """,
    ),
    Story(
        outlet=PACIFIC,
        section="world",
        topic="environment",
        slug="great-barrier-reef-survey-bleaching",
        published="2026-11-18 10:00:00",
        title="Great Barrier Reef survey finds coral cover holding up despite bleaching",
        authors=("Hannah Mercer",),
        text="""
        Coral cover on large parts of the Great Barrier Reef has held up better than scientists
        feared after another summer of mass bleaching, but the reef is becoming more vulnerable
        to future heatwaves, the Australian Institute of Marine Science says.

        The institute's annual long-term monitoring report, released on Wednesday, found that
        average hard coral cover fell slightly on the northern and central reef and was
        unchanged in the south, after surveys of 124 reefs between August and June.

        Much of the coral that survived is fast-growing Acropora, a group of branching and
        table corals that recovers quickly but is especially susceptible to bleaching, storms
        and outbreaks of the coral-eating crown-of-thorns starfish.

        "What we are seeing is a reef that bounces back faster but also falls harder," said
        Dr. Mike Emslie, who leads the monitoring program. "Boom and bust is not a sign of a
        healthy system."

        Bleaching occurs when corals under heat stress expel the algae living in their tissue,
        turning white. Corals can recover if temperatures fall quickly, but prolonged heat kills
        them.

        The federal environment minister said the report showed the importance of the
        government's investment in reef protection, while conservation groups said only deep
        cuts to emissions could secure the reef's future.

        Tourism operators in Cairns and the Whitsundays said visitors were still seeing healthy
        coral at most popular dive sites, and warned that headlines about bleaching risked
        deterring international travellers who bring billions of dollars a year to Queensland.

        The report will be considered by UNESCO's World Heritage Committee, which has twice
        considered listing the reef as "in danger".
        """,
    ),
    Story(
        outlet=PACIFIC,
        section="world",
        topic="weather",
        slug="bushfire-blue-mountains-evacuations",
        published="2026-11-24 18:30:00",
        modified="2026-11-24 22:10:00",
        title="Residents told to leave as bushfire threatens Blue Mountains towns",
        authors=("Liam O'Sullivan",),
        text="""
        Residents of several Blue Mountains villages west of Sydney were told to leave on
        Tuesday afternoon as a bushfire fanned by hot, gusty winds jumped containment lines and
        burnt towards homes.

        The NSW Rural Fire Service raised the fire near Mount Victoria to emergency warning
        level shortly after 3pm, as temperatures climbed above 38 degrees and north-westerly
        winds gusted at up to 70 kilometres an hour.

        The Great Western Highway was closed in both directions between Katoomba and Lithgow,
        and evacuation centres were opened at Katoomba and Springwood.

        "If you are in these areas and you have not left, it may now be too late; shelter in
        place," an RFS spokesperson said. More than 300 firefighters and 12 aircraft were
        working on the fire.

        The blaze, believed to have been started by a lightning strike on Sunday, had burnt more
        than 2,400 hectares of national park by late afternoon.

        A southerly change was forecast to reach the Blue Mountains by evening, bringing cooler
        temperatures but also a sudden shift in wind direction that firefighters warned could
        push the fire's flank towards other communities.

        At the Katoomba evacuation centre, residents arrived with pets, photo albums and bags
        packed in a hurry. "We've been through this before, in 2019, and you never get used to
        it," said Jenny Ashworth, who left her home in Blackheath with her two dogs.

        The RFS said at least three outbuildings had been destroyed, but it was too early to say
        whether homes had been lost.

        Total fire bans were in place across much of NSW, and forecasters warned that the
        coming summer would bring above-average fire danger after a dry spring.
        """,
    ),
    Story(
        outlet=PACIFIC,
        section="world",
        topic="politics",
        slug="pacific-islands-forum-climate-finance",
        published="2026-11-29 13:45:00",
        title="Pacific leaders demand faster climate finance ahead of COP31",
        authors=("Sione Tupou",),
        text="""
        Pacific Island leaders have called on wealthy nations to speed up payments from
        climate funds, saying communities facing rising seas cannot wait years for money that
        has already been promised.

        Meeting in Nuku'alofa, Tonga, foreign ministers of the Pacific Islands Forum agreed a
        joint statement on Sunday calling for direct access to finance for small island states
        and for a dedicated Pacific window in the fund for loss and damage.

        "Every year of delay is a seawall not built, a village not moved, a water supply lost to
        salt," said Tuvalu's foreign minister. "We are not asking for charity. We are asking for
        what was agreed."

        The statement comes as Australia prepares to co-host the COP31 climate summit with
        Pacific nations in Adelaide next year, an arrangement reached after a long contest with
        Türkiye.

        Australia's representative at the meeting said Canberra was committed to making the
        summit a "Pacific COP" and would back reforms to make climate funds easier to access.

        Officials said that only a fraction of the climate finance pledged to the region in the
        past decade had been spent on projects on the ground, with small governments struggling
        to meet complex application requirements.

        Several ministers also pressed Australia to commit to ending approvals of new coal and
        gas projects, a demand Canberra has so far resisted. The issue has long been a source of
        tension between Australia and its Pacific neighbours.

        The meeting also discussed regional security and policing cooperation, after several
        Pacific countries signed agreements in recent years with both Australia and China
        covering police training and equipment.

        Leaders will meet again in Palau next August.
        """,
    ),
    Story(
        outlet=PACIFIC,
        section="business",
        topic="economy",
        slug="rba-holds-cash-rate",
        published="2026-11-17 14:40:00",
        title="RBA holds cash rate at 3.35pc, warns inflation fight not over",
        authors=("Grace Tanaka",),
        text="""
        The Reserve Bank of Australia has left the cash rate unchanged at 3.35 per cent,
        saying it needs more evidence that inflation is returning sustainably to the middle of
        its 2 to 3 per cent target band before cutting again.

        The decision on Tuesday was expected by financial markets and all 30 economists
        surveyed by the Pacific Ledger, after the bank cut rates three times earlier in the
        year.

        In her statement, the RBA governor said underlying inflation had eased to 2.8 per cent
        in the September quarter but that services prices and wages were still growing at a
        pace that required caution.

        "The board is not assuming that the job is done," the statement said. "It will remain
        attentive to the data and the evolving assessment of risks."

        The Australian dollar rose a quarter of a cent to 66.1 US cents after the announcement,
        while the ASX 200 ended the day 0.4 per cent lower.

        Economists said the bank was likely to wait until February, after the release of
        fourth-quarter inflation figures, before moving again.

        The bank's updated forecasts, published alongside the decision, show underlying
        inflation settling at 2.6 per cent by the end of next year and unemployment edging up to
        4.5 per cent from 4.3 per cent, as economic growth remains below trend.

        The governor will give a speech in Sydney next week, and the minutes of the meeting will
        be published in two weeks' time, giving more detail on the board's discussion.

        Households with mortgages have benefited from lower repayments this year, though
        surveys show consumer confidence remains below its long-run average.
        """,
    ),
    Story(
        outlet=PACIFIC,
        section="business",
        topic="economy",
        slug="iron-ore-price-china-steel-output",
        published="2026-11-21 08:00:00",
        title="Iron ore slides to four-month low as Chinese steel output falls",
        authors=("Daniel Whitcombe",),
        text="""
        The price of iron ore, Australia's biggest export, has fallen to its lowest level in
        four months as Chinese steel mills cut production in response to weak demand from the
        country's struggling property sector.

        Benchmark ore for delivery to China fell 3.4 per cent on Friday to $US96.20 a tonne,
        down from more than $US110 in September, after figures showed China's crude steel output
        fell 7 per cent in October from a year earlier.

        Beijing has ordered steel producers to curb output to reduce overcapacity and pollution,
        and several provinces have extended limits on production into the winter heating
        season.

        Shares in the big miners fell on the ASX, and analysts warned that a sustained drop
        below $US90 would hit federal government revenue, which is forecast on the assumption
        of a much lower price.

        "Iron ore has surprised on the upside for years, which has been very good for the
        budget, but the trend in Chinese steel demand is clearly down," said Jessica Park, a
        commodities analyst in Perth.

        The slide comes as the massive Simandou mine in Guinea ramps up production, adding a new
        source of high-grade ore to the market. Analysts expect Simandou to ship more than 60
        million tonnes a year by 2028, competing directly with Pilbara producers.

        Treasury estimates that every $US10 a tonne fall in the iron ore price reduces nominal
        GDP by several billion dollars a year, with a knock-on effect on company tax receipts
        from miners.

        Port Hedland shipments remained close to record levels in October, figures from the
        Pilbara Ports Authority showed.
        """,
    ),
    Story(
        outlet=PACIFIC,
        section="business",
        topic="economy",
        slug="home-prices-record-high-november",
        published="2026-11-30 09:30:00",
        title="Home prices hit another record as Perth and Brisbane lead gains",
        authors=("Grace Tanaka",),
        text="""
        Australian home prices rose for a 23rd consecutive month in November, reaching a record
        national median of just over $870,000, with Perth, Brisbane and Adelaide again leading
        the gains, according to property analysts Aurora Data.

        The national home value index rose 0.6 per cent in the month, bringing annual growth to
        6.8 per cent. Perth values climbed 1.3 per cent, Brisbane 1.0 per cent and Adelaide 0.9
        per cent.

        Sydney prices edged up 0.3 per cent and Melbourne 0.2 per cent, as buyers in the two
        largest cities remained stretched by high prices despite this year's interest rate cuts.

        "Lower rates have brought more buyers back into the market, but listings remain tight,
        so that demand is flowing straight into prices," said Aurora's head of research.

        The median rent for houses and units also rose, by 0.4 per cent, and vacancy rates
        remained near record lows in most capital cities.

        First-home buyers have been drawn back into the market by the government's expanded
        deposit scheme, which lets eligible buyers purchase with a 5 per cent deposit without
        paying lenders mortgage insurance, and by lower borrowing costs.

        Economists warned that the pace of growth was likely to slow next year if the Reserve
        Bank keeps rates on hold and banks tighten lending to investors. Regional markets, which
        boomed during the pandemic, recorded more modest gains of 0.4 per cent in the month.

        Housing affordability has become one of the most pressing political issues in
        Australia, and the federal government has promised to build 1.2 million new homes by
        the end of the decade.
        """,
    ),
)

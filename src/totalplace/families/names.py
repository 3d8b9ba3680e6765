"""The names, streets and towns the synthetic place draws from.

Common English first names and surnames with a few from the places' larger
communities and a few long or rare ones (a linkage must weigh a shared "Smith"
less than a shared "Featherstonehaugh"), the nicknames clerks write for them,
and fictional towns whose postcode area ("NM") the Royal Mail does not use.

A large place needs more than these: a million residents sharing 110 surnames
and 30 streets would put 170 people under every full name and 140 at every
address, which no real place does and which no linkage could block on.  So
:func:`surname_pool`, :func:`street_pool` and :func:`town_pool` add made-up
but English-looking names (Ashworth, Thornfield Close, Kingsby) as the place
grows, and the common surnames are drawn most often, as in life (Smith is
about one person in a hundred).
"""

from __future__ import annotations


def _words(text: str, sep: str = " ") -> tuple[str, ...]:
    return tuple(text.split(sep))


MALE = _words(
    "James John Robert Michael William David Richard Joseph Thomas Charles Daniel "
    "Matthew Anthony Mark Steven Paul Andrew Joshua Kevin Brian George Edward "
    "Ryan Jacob Gary Nicholas Eric Stephen Jonathan Peter Samuel Benjamin "
    "Alexander Patrick Jack Dennis Oliver Harry Liam Noah Mohammed Ali Callum "
    "Kieran"
)
FEMALE = _words(
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen "
    "Nancy Margaret Lisa Betty Sandra Ashley Kimberly Emily Donna Michelle Carol "
    "Amanda Melissa Deborah Stephanie Rebecca Laura Sharon Cynthia Kathleen Amy "
    "Angela Helen Anna Olivia Amelia Isla Ava Jade Chloe Fatima Aisha Megan"
)
NICKNAMES = {
    "James": "Jim", "John": "Jack", "Robert": "Bob", "Michael": "Mike", "William": "Bill",
    "David": "Dave", "Richard": "Rick", "Joseph": "Joe", "Thomas": "Tom", "Charles": "Charlie",
    "Daniel": "Danny", "Matthew": "Matt", "Anthony": "Tony", "Steven": "Steve",
    "Andrew": "Andy", "Nicholas": "Nick", "Jonathan": "Jon", "Peter": "Pete", "Samuel": "Sam",
    "Benjamin": "Ben", "Alexander": "Alex", "Patrick": "Pat", "Elizabeth": "Liz",
    "Margaret": "Maggie", "Jennifer": "Jen", "Patricia": "Trish", "Susan": "Sue",
    "Kimberly": "Kim", "Deborah": "Debbie", "Stephanie": "Steph", "Rebecca": "Becky",
    "Kathleen": "Kathy", "Jessica": "Jess", "Barbara": "Barbie", "Sandra": "Sandy",
}  # fmt: skip
SURNAMES = _words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts "
    "Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris "
    "Clarke Patel Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark "
    "Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis "
    "Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson "
    "Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson "
    "Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers "
    "Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills "
    "Barnes Knight Lloyd Butler Russell Featherstonehaugh Oyelaran Kowalczyk "
    "Nguyen Okonkwo Szymanski"
)
STREETS = _words(
    "High Street|Station Road|Church Lane|Mill Lane|Park Road|Victoria Street|"
    "Queens Road|New Road|Green Lane|Manor Road|Kings Road|Church Street|"
    "Albert Road|London Road|School Lane|The Crescent|Grove Road|Chapel Street|"
    "North Street|Springfield Road|York Road|Moor Lane|Valley View|Bridge Street|"
    "Hawthorn Close|Oak Avenue|Beech Drive|Elm Grove|Cedar Way|Ash Court",
    "|",
)
TOWNS = ("Northmoor", "Eastvale", "Westbrook")
# National Insurance number prefixes HMRC issues (never D, F, I, Q, U or V; not BG, GB...).
NI_PREFIXES = _words("AB AE AH AK AL AM AP AR AS AT AW AX AY CE CH CK CL CR EH EJ")

# Parts of the long tail of surnames and of street and town names.
_STEMS = _words(
    "Ash Black Brad Brook Cald Craw Dun Ells Fair Gold Hart Hol Kings Lang Mar Nor "
    "Pen Red Rod Stan Thorn Wal West Whit Wood Al Bur Cart Dal Ever Fen Grim Hay "
    "Kirk Lin Mid Old Pem Rams Sand Shel Ten Up War Wins Brough Chad Cran Ded"
)
_MIDDLES = _words("en er in ing ley ridge")
_ENDINGS = _words(
    "ley ton worth ford field well by ham wood more son er ington brook stone dale "
    "croft hurst wick man"
)
_STREET_KINDS = _words(
    "Road Street Lane Close Avenue Drive Way Grove Court Crescent Gardens Place "
    "Walk Rise View Terrace Mews Row Hill Park"
)
_TOWN_ENDINGS = _words("by ton ham field bury wick moor vale brook stow")


def surname_pool(size: int) -> tuple[str, ...]:
    """The common surnames, then ``size`` more made from English parts (none repeated)."""
    common = set(SURNAMES)
    made = [
        s
        for s in dict.fromkeys(
            (
                *(a + e for a in _STEMS for e in _ENDINGS),
                *(a + m + e for m in _MIDDLES for a in _STEMS for e in _ENDINGS),
            )
        )
        if s not in common
    ]
    return SURNAMES + tuple(made[:size])


def street_pool(size: int) -> tuple[str, ...]:
    """At least ``size`` street names: the shipped ones, then stem and kind (Ashley Close)."""
    made = (f"{a}{e} {k}" for k in _STREET_KINDS for a in _STEMS for e in ("", *_ENDINGS))
    names = list(STREETS)
    for name in made:
        if len(names) >= size:
            break
        if name not in STREETS:
            names.append(name)
    return tuple(names)


def town_pool(size: int) -> tuple[str, ...]:
    """At least ``size`` town names: the shipped three, then stem and ending (Kingsby)."""
    made = (a + e for e in _TOWN_ENDINGS for a in _STEMS)
    return TOWNS + tuple(n for n, _ in zip(made, range(max(0, size - len(TOWNS))), strict=False))

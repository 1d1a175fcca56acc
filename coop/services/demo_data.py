"""The demo co-op's people and history, as plain data (used by ``coop seed-demo``).

Fixed values, no randomness: two installations seeded on the same day look the same.
Days are counted back from the moment of seeding ("T-60" = sixty days ago).
"""

from __future__ import annotations

from dataclasses import dataclass, field

NAME = "Riverside Makers Co-operative"
DOMAIN = "riverside.example"
PASSWORD = "demo-password-1"
#: Logins printed at the end of seeding and documented in docs/operators.md.
LOGINS = (("admin", "ada"), ("secretary", "grace"), ("member", "lena"))
#: The pay records of the founders take effect two years before the seeding.
FOUNDED_DAYS_AGO = 730


@dataclass(frozen=True)
class Qual:
    field: str
    level: int
    issuer: str
    awarded_on: str
    title: str
    verified: bool


@dataclass(frozen=True)
class Person:
    name: str
    login: str  # the part of the email before @
    role: str
    hourly_rate: str | None  # None: an applicant, not paid yet
    weekly_hours: str = "40.00"
    #: (kind, amount per hour, reason)
    supplements: tuple[tuple[str, str, str], ...] = ()
    quals: tuple[Qual, ...] = ()
    active_days: int = FOUNDED_DAYS_AGO  # active since this many days ago
    status: str = "active"

    @property
    def email(self) -> str:
        return f"{self.login}@{DOMAIN}"


# Total hourly pay runs from 18.50 to 34.00: a ratio of 1.84, inside the default 3:1.
PEOPLE: tuple[Person, ...] = (
    Person("Ada Okafor", "ada", "admin", "32.50", "40.00", (("co-ordination", "1.50", "responsibility"),),
           (Qual("business administration", 6, "University of Leeds", "2011-07-01",
                 "BA Business Management", True),)),
    Person("Grace Mensah", "grace", "secretary", "26.00", "32.00",
           (("secretary of the co-op", "1.00", "responsibility"),),
           (Qual("office administration", 5, "City & Guilds", "2014-06-15",
                 "Level 5 Diploma in Business Administration", True),)),
    Person("Lena Fischer", "lena", "member", "22.50", "40.00", (),
           (Qual("carpentry", 4, "Handwerkskammer Hamburg", "2016-08-31", "Tischlergesellin", True),)),
    Person("Rahul Iyer", "rahul", "member", "27.00", "40.00", (),
           (Qual("electrical engineering", 5, "Institution of Engineering and Technology", "2015-06-30",
                 "HNC Electrical and Electronic Engineering", True),)),
    Person("Marisol Ortega", "marisol", "member", "28.00", "36.00",
           (("bookkeeping lead", "1.50", "responsibility"),),
           (Qual("accounting", 6, "Universidad de Sevilla", "2012-06-30",
                 "Grado en Finanzas y Contabilidad", True),)),
    Person("Tomasz Nowak", "tomasz", "member", "24.00", "40.00", (),
           (Qual("occupational safety", 4, "NEBOSH", "2019-03-22",
                 "National General Certificate in Occupational Health and Safety", True),)),
    Person("Noor Haddad", "noor", "member", "25.00", "30.00", (),
           (Qual("industrial design", 6, "Delft University of Technology", "2018-07-15",
                 "BSc Industrial Design Engineering", False),), active_days=600),
    Person("Samuel Osei", "samuel", "member", "21.00", "40.00", (),
           (Qual("welding", 4, "The Welding Institute", "2017-11-10", "Certified Welder (MIG/TIG)", True),)),
    Person("Ingrid Johansson", "ingrid", "member", "19.50", "24.00", (),
           (Qual("metalwork", 3, "Hantverkarnas Riksorganisation", "2020-05-29", "Gesällbrev, smide", False),),
           active_days=420),
    Person("Kenji Watanabe", "kenji", "member", "29.00", "28.00", (),
           (Qual("software development", 6, "Kyoto Institute of Technology", "2013-03-25",
                 "BEng Information Science", False),), active_days=500),
    Person("Fatima Zahra Benali", "fatima", "member", "18.50", "40.00", (), (), active_days=200),
    Person("Owen Gallagher", "owen", "member", "20.00", "36.00",
           (("ten years' service", "1.25", "seniority"),)),
    Person("Priya Raman", "priya", "member", None, status="applicant", active_days=12),
)

#: Which member verifies whom: the secretary verifies everyone but herself; the admin
#: (who can do what a secretary can) verifies the secretary.
VERIFIER, SECRETARY_VERIFIER = "grace", "ada"


@dataclass(frozen=True)
class Story:
    """One proposal from draft to (perhaps) close, on the demo's timeline."""

    key: str
    kind: str  # general, pay_adjustment, rule_change
    title: str
    body: str
    author: str
    drafted: int  # days ago
    yes: tuple[str, ...] = ()
    no: tuple[str, ...] = ()
    abstain: tuple[str, ...] = ()
    #: (login, body) comments made during the notice period
    comments: tuple[tuple[str, str], ...] = ()
    #: (login, qualification field, body): an expert opinion, made during voting
    expert: tuple[str, str, str] | None = None
    subject: str | None = None
    change: dict[str, object] = field(default_factory=dict)
    close: bool = True
    #: (login, first choice): a ballot changed later, to show ballot history
    changed_mind: tuple[str, str] | None = None
    #: Stop early: "draft" (never opened) or "deliberation" (notice period still running),
    #: so the demo has a proposal in every stage.
    stage: str | None = None


STORIES: tuple[Story, ...] = (
    Story("router", "general", "Buy a CNC router for the workshop",
          "Our router's spindle is worn out and we turn away panel work every month. "
          "Buy a 1300 x 2500 mm CNC router for up to 24,000 from the equipment reserve.",
          author="ada", drafted=70,
          yes=("ada", "grace", "lena", "rahul", "marisol", "tomasz", "noor", "samuel", "owen"),
          no=("kenji", "ingrid"), changed_mind=("lena", "no"),
          comments=(("lena", "Three quotes are in the shared drive; the mid-priced one includes training."),
                    ("marisol", "The equipment reserve holds 31,500, so this leaves a healthy margin."))),
    Story("safety", "pay_adjustment", "Responsibility supplement for the safety officer",
          "Tomasz has taken on the safety officer's duties: inductions, inspections and the "
          "accident book. Add a responsibility supplement of 1.00 per hour.",
          author="grace", drafted=58, subject="tomasz",
          change={"supplements": (("safety officer", "1.00", "responsibility", "occupational safety"),),
                  "reason": "responsibility"},
          yes=("ada", "grace", "lena", "rahul", "marisol", "samuel", "owen"), no=("kenji",),
          abstain=("noor",),
          comments=(("samuel", "Since Tomasz started the monthly inspections we have had no lost-time injuries."),)),
    Story("education", "rule_change", "Raise the education hours to 48 a year",
          "New machines need training. Raise both the expected and the paid education hours "
          "from 40 to 48 a year.",
          author="lena", drafted=45,
          change={"action": "amend", "rule_key": "education.policy",
                  "text": "Every member is expected to spend forty-eight hours a year on education, "
                          "and forty-eight hours a year of study count as paid working time.",
                  "parameters": {"education.expected_hours_per_year": "48",
                                 "education.paid_hours_per_year": "48"}},
          yes=("ada", "grace", "lena", "rahul", "marisol", "tomasz", "samuel", "owen", "fatima"),
          no=("kenji",), abstain=("ingrid",),
          comments=(("ingrid", "Can part of the hours be spent on the CNC training itself?"),)),
    Story("eastside", "general", "Open a second workshop in Eastside",
          "Lease the empty unit on Canal Street for a second workshop, starting next spring.",
          author="noor", drafted=28, yes=("noor", "kenji", "samuel"), no=("owen",),
          comments=(("owen", "Let us fill the order book of the workshop we have before we open another."),)),
    Story("remote", "rule_change", "Remote work for office tasks",
          "Design, bookkeeping and administration may be done from home up to two days a week, "
          "agreed with the team in advance.",
          author="kenji", drafted=9, close=False,
          change={"action": "add", "rule_key": "work.remote", "title": "Remote work",
                  "text": "Members may do design, bookkeeping and administrative work from home on up "
                          "to two days a week, agreed with their team in advance. Workshop work is "
                          "done in the workshop."},
          yes=("kenji", "noor", "lena"), abstain=("owen",),
          comments=(("samuel", "Fine by me, as long as someone is always there to sign for deliveries."),)),
    Story("electrical", "pay_adjustment", "Skills supplement for electrical installations",
          "Rahul is the only one of us qualified to wire and certify machine installations, "
          "which saved us an electrician's fees twice this year. Add a skills supplement of "
          "1.25 per hour, citing his electrical engineering qualification.",
          author="lena", drafted=4, subject="rahul", close=False,
          change={"supplements": (("electrical installations", "1.25", "skills", "electrical engineering"),),
                  "reason": "skills"},
          yes=("ada", "marisol", "tomasz", "samuel"), no=("owen",),
          comments=(("tomasz", "The router installation alone would have cost us about 1,800."),),
          expert=("marisol", "accounting",
                  "Cost: 1.25 x 40 hours x 52 weeks = 2,600.00 a year, about 0.5% of payroll. The highest "
                  "to lowest pay ratio stays at 1.84, well inside our 3:1 policy.")),
    Story("summer", "general", "Close the workshop for the first week of August",
          "Most of us take leave in August anyway. Closing the workshop for one week lets everyone "
          "rest at once and gives us time to service the machines.",
          author="noor", drafted=1, stage="deliberation",
          comments=(("owen", "Fine, as long as orders due that week ship the week before."),)),
    Story("filter", "general", "Fit a water filter in the tea kitchen",
          "The kettle scales up within a week. A filter on the tap costs about 90 a year in cartridges.",
          author="samuel", drafted=0, stage="draft"),
)

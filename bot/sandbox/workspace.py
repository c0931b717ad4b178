"""The sandbox's demo workspace: people, channels, guilds, mentoring, show-and-tell, models.

Slack's side (who exists, which channels, who is in them) is given to the stand-in at
every start; the bot's side is seeded once, on first start, through the bot's own
services — the same calls the slash commands make — so the data is what real use makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.models.gateway import MlflowGateway
    from bot.sandbox.slack_standin import SlackStandIn
    from bot.services import Services


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    real_name: str
    tz: str
    role: str  # "admin", "approver" or "builder"
    teaches: str = ""
    learns: str = ""


PEOPLE = (
    Person("U0ADA", "ada", "Ada Lovelace", "Europe/London", "admin", "governance", "llm evaluation"),
    Person("U0MARIA", "maria", "Maria Garcia", "Europe/Madrid", "approver", "mlops, python", "rust"),
    Person("U0KENJI", "kenji", "Kenji Sato", "Asia/Tokyo", "approver", "computer vision", "mlops"),
    Person("U0SAM", "sam", "Sam Okafor", "America/New_York", "builder", "react", "mlops"),
    Person("U0PRIYA", "priya", "Priya Nair", "Asia/Kolkata", "builder", "nlp, python", "computer vision"),
    Person("U0LENA", "lena", "Lena Vogel", "Europe/Berlin", "builder", "data engineering", "python"),
)
ADMIN = PEOPLE[0]
APPROVERS = tuple(p.user_id for p in PEOPLE if p.role == "approver")
GENERAL = "C0GENERAL"


@dataclass(frozen=True)
class Channel:
    channel_id: str
    name: str
    members: tuple[str, ...]
    guild: str = ""  # the guild's display name, when the channel hosts one
    description: str = ""


CHANNELS = (
    Channel(GENERAL, "general", tuple(p.user_id for p in PEOPLE)),
    Channel("C0MLOPS", "mlops", ("U0MARIA", "U0KENJI"), "MLOps", "Shipping and running models in production."),
    Channel("C0NLP", "nlp", ("U0PRIYA", "U0LENA"), "NLP", "Language models, retrieval and evaluation."),
    Channel("C0VISION", "vision", ("U0KENJI", "U0LENA"), "Vision", "Images, video and the models that read them."),
)
MODELS = {  # name → metrics of each version, oldest first; the production alias on the one named
    "churn-classifier": ([{"auc": 0.81, "f1": 0.62}, {"auc": 0.84, "f1": 0.66}, {"auc": 0.87, "f1": 0.7}], "2"),
    "support-summarizer": ([{"rouge_l": 0.41}, {"rouge_l": 0.46}], "1"),
}


def furnish(slack: SlackStandIn) -> None:
    """Tell the stand-in who and what exists in Slack (done at every start: it keeps nothing)."""
    for person in PEOPLE:
        slack.add_user(person.user_id, name=person.name, real_name=person.real_name, tz=person.tz)
    for channel in CHANNELS:
        slack.add_channel(channel.channel_id, name=channel.name, members=channel.members)


def seed(services: Services, mlflow: MlflowGateway, *, state: str) -> None:
    """Fill the bot's side through its services: profiles, guilds, mentoring, a show-and-tell talk."""
    for person in PEOPLE:
        services.members.remember(person.user_id)
        services.members.update_profile(person.user_id, teach_text=person.teaches, learn_text=person.learns)
    for channel in CHANNELS:
        if channel.guild:
            services.guilds.create(ADMIN.user_id, slug=channel.name, channel_id=channel.channel_id,
                                   name=channel.guild, description=channel.description)
    services.mentoring.offer("U0MARIA", ("mlops", "python", "capacity", "2"))
    services.mentoring.offer("U0KENJI", ("computer-vision",))
    services.mentoring.seek("U0LENA", ("python",))
    services.showtell.schedule(ADMIN.user_id, "mlops", "every 2 weeks on thursday at 16:00 Europe/Paris slots=3 minutes=30")
    first = services.showtell.proposal_form("mlops").sessions[0]
    services.showtell.propose("U0KENJI", session_id=first.id, title="Shadow deployments without tears",
                              abstract="How we compare a challenger with production on live traffic.", minutes=20)
    seed_models(mlflow, state=state)


def seed_models(mlflow: MlflowGateway, *, state: str) -> None:
    for name, (versions, production) in MODELS.items():
        for metrics in versions:
            mlflow.register_version(name, metrics=metrics, source=f"{state}/artifacts/{name}")
        mlflow.set_alias(name, "production", production)


def policy_text(default: str) -> str:
    """The built-in policy with the two approvers as its approver group (YAML in, YAML out)."""
    import yaml

    data: dict[str, Any] = yaml.safe_load(default)
    data["groups"]["approvers"] = list(APPROVERS)
    for tier in ("medium", "high"):
        data["tiers"][tier]["approvers"] = ["approvers", "admins"]
    header = "# The sandbox's approval policy: the built-in one, with Maria and Kenji as approvers.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

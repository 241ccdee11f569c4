"""The demo desk's working rules, set through the services an admin uses: business hours per team,
service-level policies, and automatic assignment by language and skill. Hours and policies come
after the history and before today's tickets, which the services time by them; assignment comes
last, so today's tickets keep the owners they were planned with and tickets that arrive while the
demo runs are routed by it."""

from attenda.agents.models import Agent, AgentStatus, AssignmentMode, Skill, Team
from attenda.agents.services import set_availability, update_team_routing
from attenda.routing.models import ServiceLevelPolicy
from attenda.routing.services import CalendarInput, save_calendar, save_policy
from attenda.tickets.models import Kind, Priority

WEEKDAYS_ONLY = ["09:00-13:00, 14:00-18:00"] * 5 + ["", ""]
LONG_WEEK = ["08:00-20:00"] * 5 + ["09:00-14:00", ""]

# team key: (time zone, holidays of, weekly hours, skills routed by, capacity)
TEAM_RULES = {
    "billing": ("Europe/Lisbon", "PT", WEEKDAYS_ONLY, [Skill.BILLING], 12),
    "technical": ("Europe/Madrid", "ES", LONG_WEEK, [Skill.TECHNICAL], 15),
    "complaints": ("Europe/Lisbon", "PT", WEEKDAYS_ONLY, [Skill.COMPLAINTS], 10),
}
# What each agent is known to be good at, beyond their team's everyday work.
AGENT_SKILLS = {
    "joao": [Skill.BILLING],
    "andrei": [Skill.BILLING, Skill.SALES],
    "ines": [Skill.TECHNICAL],
    "piotr": [Skill.TECHNICAL],
    "lucia": [Skill.COMPLAINTS],
    "katarzyna": [Skill.COMPLAINTS, Skill.BILLING],
    "emily": [Skill.COMPLAINTS],
}


def set_assignment(*, teams: dict[str, Team], agents: list[Agent], admin: Agent) -> None:
    for key, (_time_zone, _country, _week, skills, capacity) in TEAM_RULES.items():
        team = teams[key]
        members = [agent for agent in agents if team.pk in agent.team_ids()]
        update_team_routing(
            team=team,
            actor=admin,
            languages=sorted(
                {language for agent in members for language in agent.languages_spoken}
            ),
            skills=skills,
            capacity=capacity,
            assignment_mode=AssignmentMode.LOAD_BALANCED
            if key == "technical"
            else AssignmentMode.ROUND_ROBIN,
        )
    for agent in agents:
        if agent.username in AGENT_SKILLS:
            set_availability(
                agent=agent,
                actor=admin,
                status=AgentStatus.AVAILABLE,
                absent_from=None,
                absent_until=None,
                backup=None,
                skills=AGENT_SKILLS[agent.username],
            )


def set_service_levels(*, teams: dict[str, Team], admin: Agent) -> None:
    for key, (time_zone, country, week, _skills, _capacity) in TEAM_RULES.items():
        save_calendar(
            team=teams[key],
            calendar=CalendarInput(time_zone=time_zone, week=week, country=country),
            actor=admin,
        )
    policies = [
        ServiceLevelPolicy(
            name="Urgent",
            position=10,
            priority=Priority.URGENT,
            first_response_minutes=30,
            next_response_minutes=60,
            resolution_minutes=8 * 60,
            business_time=False,
            raise_priority=False,
        ),
        ServiceLevelPolicy(
            name="Complaints and warranty claims",
            position=20,
            kind=Kind.COMPLAINT,
            team=teams["complaints"],
            first_response_minutes=4 * 60,
            next_response_minutes=8 * 60,
            resolution_minutes=5 * 8 * 60,
            business_time=True,
        ),
        ServiceLevelPolicy(
            name="Everything else",
            position=100,
            first_response_minutes=8 * 60,
            next_response_minutes=16 * 60,
            resolution_minutes=5 * 8 * 60,
            business_time=True,
        ),
    ]
    for policy in policies:
        save_policy(policy=policy, actor=admin)

"""Learning from agents' labels, now or every day from the scheduler, and what it changes."""

import json
import random
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from attenda.core import clock
from attenda.core.periodic import enqueue_due
from attenda.tickets.models import Kind, Status
from attenda.tickets.services import set_status
from attenda.triage import services
from attenda.triage.models import TicketTriage, TrainedModel, TriageSettings
from attenda.triage.tasks import retrain_now
from tests.triage.factories import customer_writes

pytestmark = pytest.mark.django_db

# Products the keyword rules cannot know: only agents' labels tell what a message about them is.
VOCABULARY = {
    Kind.COMPLAINT: "vorplex",
    Kind.ORDER: "quindle",
    Kind.TECHNICAL_SERVICE: "zentrix",
    Kind.WARRANTY_CLAIM: "brommet",
    Kind.SUGGESTION: "flarnish",
}
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def labelled_by_agents(team, agent, per_kind: int = 12) -> None:
    """Tickets worked to their end by agents, each with the kind an agent gave it."""
    for kind, word in VOCABULARY.items():
        for number in range(per_kind):
            ticket = customer_writes(
                f"Hello, I am writing about the {word} from last {DAYS[number % 6]}, reference"
                f" {number}. I hope to hear from you.",
                team=team,
                email=f"{word}{number}@example.com",
                subject=f"{word} {number}",
                kind=kind,
            ).ticket
            set_status(ticket=ticket, status=Status.SOLVED, actor=agent)


def test_learning_from_agents_labels_beats_the_keyword_rules_on_held_out_tickets(team, agent):
    labelled_by_agents(team, agent)

    model = services.retrain()

    assert model.held_out > 0
    assert model.trained_on + model.held_out == TicketTriage.objects.count()
    assert model.rules_accuracy < model.accuracy
    assert model.rules_macro_f1 < model.macro_f1
    assert model.accuracy >= 0.8
    assert model.kind_counts == {kind.value: 12 for kind in VOCABULARY}
    assert TriageSettings.objects.get().model == model


def test_the_learnt_model_reads_the_next_message(team, agent):
    labelled_by_agents(team, agent)
    services.retrain()

    ticket = customer_writes(
        "Good morning, the zentrix I have stopped again, can someone look at it?",
        team=team,
        email="new@example.com",
    ).ticket

    assert TicketTriage.objects.get(ticket=ticket).kind == Kind.TECHNICAL_SERVICE


def test_too_few_labelled_tickets_teach_nothing(team, agent):
    labelled_by_agents(team, agent, per_kind=2)

    assert services.retrain() is None
    assert not TrainedModel.objects.exists()


def test_only_admins_retrain(team, agent):
    labelled_by_agents(team, agent, per_kind=2)

    with pytest.raises(PermissionDenied):
        services.retrain(actor=agent)


def test_retrain_now_runs_on_the_worker(
    team, agent, admin_agent, run_tasks, django_capture_on_commit_callbacks
):
    labelled_by_agents(team, agent)

    with django_capture_on_commit_callbacks(execute=True):
        retrain_now.enqueue_on_commit(admin_agent.pk)
    run_tasks()

    assert TrainedModel.objects.count() == 1


def test_the_scheduler_queues_the_daily_learning_once_a_day(
    team, agent, run_tasks, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to("2026-03-02 12:00Z", tick=False)
    labelled_by_agents(team, agent)
    next_runs = {}
    enqueue_due(next_runs, now=clock.now())
    time_machine.move_to("2026-03-03 11:59Z", tick=False)
    again_too_soon = enqueue_due(next_runs, now=clock.now())

    with django_capture_on_commit_callbacks(execute=True):
        run_tasks()

    assert "attenda.triage.tasks.retrain_now" not in again_too_soon
    assert TrainedModel.objects.count() == 1
    time_machine.move_to("2026-03-03 12:00Z", tick=False)
    assert "attenda.triage.tasks.retrain_now" in enqueue_due(next_runs, now=clock.now())


def test_learning_from_the_evaluation_set_as_tickets_beats_the_rules(team, agent, admin_agent):
    """The engine's labelled messages in five languages, received as tickets and worked to their end
    by agents with the kind in the set; one in five is held out of the learning."""
    services.set_threshold(admin=admin_agent, threshold=1.0)
    lines = (Path(__file__).parent / "evaluation" / "messages.jsonl").read_text().splitlines()
    messages = [json.loads(line) for line in lines if line.strip()]
    random.Random(5).shuffle(messages)
    for number, message in enumerate(messages):
        ticket = customer_writes(
            message["text"], team=team, email=f"c{number}@example.com", kind=message["kind"]
        ).ticket
        set_status(ticket=ticket, status=Status.SOLVED, actor=agent)

    model = services.retrain(actor=admin_agent)

    assert (model.trained_on, model.held_out) == (524, 131)
    assert model.rules_accuracy < model.accuracy
    assert model.rules_macro_f1 < model.macro_f1
    print(  # noqa: T201 - the figures, with -s
        f"held out {model.held_out}: rules accuracy {model.rules_accuracy:.3f}, macro-F1"
        f" {model.rules_macro_f1:.3f}; learnt accuracy {model.accuracy:.3f}, macro-F1"
        f" {model.macro_f1:.3f}"
    )

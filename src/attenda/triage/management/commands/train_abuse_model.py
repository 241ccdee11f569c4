"""Teaches the learnt abuse layer from the labelled public texts and writes the weights that ship
in the package, with each language's figures on its held-out part."""

from pathlib import Path

from django.core.management.base import BaseCommand

from attenda.triage import abuse_training, learnt_abuse


class Command(BaseCommand):
    help = "Trains the learnt abuse layer from a folder of labelled texts (corpus/triage)."

    def add_arguments(self, parser):
        parser.add_argument("corpus", type=Path, help="the folder holding the labelled texts")
        parser.add_argument("--output", type=Path, default=learnt_abuse.WEIGHTS)

    def handle(self, *args, corpus: Path, output: Path, **options):
        trained = {}
        for language in abuse_training.SETS:
            learn, calibrate, held_out = abuse_training.split(corpus, language)
            model = abuse_training.train_language(learn, calibrate, language)
            figures = abuse_training.measure(model, held_out, language)
            trained[language] = model
            self.stdout.write(
                f"{language}: learnt from {len(learn)}, threshold {model.threshold:.2f} "
                f"(chosen on {len(calibrate)}); held out {len(held_out)}: precision "
                f"{figures['precision']:.3f} recall {figures['recall']:.3f} F1 {figures['f1']:.3f}, "
                f"false alarms {figures['false_alarms']:.3f}"
            )
        learnt_abuse.save(output, trained)
        self.stdout.write(f"Wrote {output}.")

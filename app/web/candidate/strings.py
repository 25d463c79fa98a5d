"""The exam page script's words, translated here and handed over as JSON (never in the JS).

Placeholders such as %(n)s are left for the script to fill.
"""

from __future__ import annotations

from flask_babel import gettext, pgettext

from app.web.candidate.labels import TYPE_LABELS


def exam_strings() -> dict[str, object]:
    return {
        "types": {code: str(label) for code, label in TYPE_LABELS.items()},
        "loading": gettext("Loading the paper…"),
        "load_failed": gettext("The paper could not be loaded. Retrying…"),
        "saved": gettext("All answers saved"),
        "saving": gettext("Saving…"),
        "offline": gettext(
            "Offline: unsent answers (%(n)s) are kept on this device and sent when the "
            "connection returns"
        ),
        "retrying": gettext("Connection problem: unsent answers (%(n)s), retrying in %(s)s s"),
        "signed_out": gettext(
            "Your session has ended. Sign in again in another tab: your answers are kept on "
            "this device and will be sent."
        ),
        "rejected": gettext("An answer was refused: %(message)s"),
        "question": gettext("Question %(n)s"),
        "item_meta": gettext("%(type)s · %(points)s points"),
        "section_meta": gettext("%(count)s questions, %(points)s points each"),
        "choose_all": gettext("Choose every correct option."),
        "nav_answered": gettext("Question %(n)s, answered"),
        "nav_unanswered": gettext("Question %(n)s, not answered"),
        "nav_flagged": gettext("%(label)s, flagged for review"),
        "list_separator": pgettext("between the numbers of a list of questions", ", "),
        "flag": gettext("Flag for review"),
        "unflag": gettext("Remove flag"),
        "clear": gettext("Clear answer"),
        "progress": gettext("%(answered)s of %(total)s answered"),
        "position": gettext("%(n)s / %(total)s"),
        "warn5": gettext("5 minutes left. Your answers are submitted automatically at zero."),
        "warn1": gettext("1 minute left. Your answers are submitted automatically at zero."),
        "time_up": gettext("Time is up. Submitting your answers…"),
        "confirm_unanswered": gettext("Not answered (%(n)s): %(list)s."),
        "confirm_all_answered": gettext("Every question is answered."),
        "confirm_flagged": gettext("Flagged for review (%(n)s): %(list)s."),
        "submitting": gettext("Submitting…"),
        "submit_offline": gettext(
            "Some answers have not reached the server yet, so the paper cannot be submitted "
            "now. They are kept on this device; try again when the connection returns."
        ),
        "submit_failed": gettext("The paper could not be submitted: %(message)s"),
    }

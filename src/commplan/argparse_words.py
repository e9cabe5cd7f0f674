"""argparse's own user-facing strings, marked so that `scripts/i18n` extracts them into our
catalog (`commplan.i18n.install_argparse` routes argparse's gettext calls through it).
Copied from CPython's argparse (3.11-3.13); a string argparse changes simply stays English."""

from .i18n import N_, ngettext

ARGPARSE_WORDS = (
    N_("usage: "),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"),
    N_("unrecognized arguments: %s"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("expected at most one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("ignored explicit argument %r"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
)
# ngettext("expected %s argument", "expected %s arguments", n): argparse's one plural
ARGPARSE_PLURALS = (ngettext("expected %s argument", "expected %s arguments", 1),)

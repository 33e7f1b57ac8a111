"""Many learners -> one cohort summary, for instructors and mentors.

Sources are JSON exports, folders of exports, and aipm data directories
(every learner in them, so a clone of a cohort's sync repository works as it
is). Nothing is ever written into a source: log files are folded directly
(never through `Ledger.load()`, which writes a cache), exports are only read.

A learner is known by name. The same name in several sources is one learner:
all their changes go into one fold, which takes each change id once, so a
learner who sent an export and also syncs to the shared repository is never
counted twice. Sources of one name that share no change id with the others
(a name anyone can put in an export) are flagged in every format as "two
learners with one name?" (`LearnerSummary.unrelated_sources`). Learners on another roadmap are listed apart; learners on
another version of this roadmap are included and flagged (aliases carry their
progress across renames).

Every figure follows the same rules as `aipm status` and `aipm export`:
percent = done / (trackable units - skipped); pace and forecast from
`progress.forecast`; active weeks from `progress.activity_weeks`. As of a day
D: the fold of the changes dated up to D, as `export --as-of` does.

Data directories may keep learners flat (`learners/<name>/`) or in shards
(`learners/<first two characters>/<name>/`); both read the same. With a
cohort index (cohort/index.py), learners whose files did not change are not
folded again. Who needs attention is decided by stated rules (`Rules`), each
flag carrying the rule that raised it; `nudges()` drafts messages from them
and `digest()` compares the cohort with an earlier day.

`build()` never prints and never exits: what cannot be read is returned in
`CohortSummary.unreadable`, each with the source and the reason.

The package: `discovery` finds the learners in the sources, `fold` folds one
learner and makes their figures, `statistics` the figures across the cohort,
`rules` the at-risk flags and --filter/--sort, `build` puts it together
(`build()`), `model` holds the plain data every renderer reads; `index` is the
cohort index, `pull` fetches learners' own repositories, `nudge` drafts
messages and `digest` compares with an earlier day; `service` is the use case the
CLI calls (an instructor's data directory, sources and settings -> the summary).
"""

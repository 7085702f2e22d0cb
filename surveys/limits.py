"""The bounds the survey services enforce, in a module with no imports, so that ``itcap --help`` can
state them without loading the storage layer."""

# k = 1 would publish single answers; 2 is the smallest threshold that means anything.
MIN_GROUP_SIZE_LIMITS = (2, 1000)
COMMENT_THRESHOLD_MAX = 100_000
MAX_INVITATIONS_PER_BATCH = 100_000
MAX_OPEN_LINK_VISITS = 1_000_000  # an open link's cap, when it has one
# An imported row that repeats a stored response (or another row) in at least this many rated and
# numeric answers, its ratings not all alike, is refused as the same person counted twice (imports).
REPEAT_MIN_ANSWERS = 10

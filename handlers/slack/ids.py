"""Every callback, action and block id the Slack adapter uses: one place, no typos."""

COMMAND = "/kaizen"
SHORTCUT_LOG_WASTE = "log_waste"

# Buttons and selects (block_actions)
CONCERN_RESOLVE = "concern_resolve"
CONCERN_ASSIGN = "concern_assign"
LOG_CHANGE_CATEGORY = "log_change_category"
LOG_OPEN_CONCERN = "log_open_concern"
LOG_UNDO = "log_undo"
CHECKIN_ANSWER = "checkin_answer"
CHECKIN_SKIP = "checkin_skip"
FORGET_CONFIRM = "forget_confirm"
HOME_CHECKIN = "home_checkin"
HOME_LOG = "home_log"

# Modals (view_submission callback ids)
VIEW_CHECKIN = "checkin_modal"
VIEW_SETUP = "setup_modal"
VIEW_LABELS = "labels_modal"
VIEW_LOG_WASTE = "log_waste_modal"
VIEW_ASSIGN = "assign_modal"
VIEW_OPEN_CONCERN = "open_concern_modal"
VIEW_HOME_LOG = "home_log_modal"

# Input blocks and their elements inside modals
B_TEXT, A_TEXT = "text", "text_input"
B_WASTES, A_WASTES = "wastes", "wastes_select"
B_CONCERNS, A_CONCERNS = "concerns", "concerns_select"
B_OWNER, A_OWNER = "owner", "owner_select"
B_KIND, A_KIND = "kind", "kind_select"
B_MODEL, A_MODEL = "model", "model_input"
B_CHANNEL, A_CHANNEL = "channel", "channel_select"

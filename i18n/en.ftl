# English. Every key here must exist in every other i18n/*.ftl (a test checks it).
language-name = English

demo-badge = DEMO · Terminal not yet set up for a commune
counter-staff = { $counter } · Officer: { $staff }
counter-only = { $counter }

question-default = Are you satisfied with how your application was handled today?
question-hint = Tap one box to rate
question-hint-read-aloud = Tap a box to rate · Hold your finger on it to hear it read aloud

level-very-unsatisfied = Very dissatisfied
level-unsatisfied = Dissatisfied
level-neutral = Neutral
level-satisfied = Satisfied
level-very-satisfied = Very satisfied

reasons-title = What were you not satisfied with?
reasons-hint = You can choose several
criteria-progress = Question { $current } of { $total }
dossier-title = Dossier code (receipt number)
dossier-hint = Type it on the keypad or scan the code on your receipt
dossier-empty = No dossier code yet

action-done = Done
action-next = Continue
action-skip = Skip
action-delete = Delete
action-clear = Clear

thanks-title = Thank you!
thanks-body = Your feedback has been recorded.
thanks-saving = Saving your feedback…
write-apology = Sorry, the terminal could not save just now. Your feedback is kept and will be saved automatically.
storage-unavailable = This terminal cannot store data. Please tell the staff or a technician.

# How the screens look, chosen by the citizen on the first screen (reset for the next one).
look-large-text = Large text
look-high-contrast = High contrast

# The comment page and its on-screen keyboard.
comment-title = Anything else you would like to tell us?
comment-empty = Optional. Type your comment on the keyboard below. Vietnamese marks are typed Telex style: aa → â, ow → ơ, dd → đ, s f r x j → tones.
comment-complaint = This is a complaint or petition: I would like an answer
comment-send = Send
key-space = Space
key-backspace = Delete
key-shift = Capital
key-digits = 123
key-letters = ABC

# Consent to a call-back (Law 91/2025/QH15). CHANGING consent-body IN ANY LANGUAGE MEANS RAISING
# CONSENT_VERSION in src/screen/consent.rs: each stored consent names the text that was read.
consent-title = Would you like to leave a phone number for an answer?
consent-body = If you agree, enter your phone number so that the office can call you back about this complaint. The number is used only to answer this complaint; it is never shown on this terminal again, the staff at the desk cannot see it, and it is erased from the terminal as soon as it has reached the provincial server. If you leave no number, your complaint is still recorded in full. (Law on Personal Data Protection No. 91/2025/QH15)
consent-agree = Yes, leave a number
consent-decline = No number
phone-title = Phone number for the call-back
phone-hint = A mobile number has 10 digits, for example 0912 345 678
phone-empty = No number yet
phone-invalid = This number is not right. A mobile number has 10 digits and starts with 03, 05, 07, 08 or 09; a landline has 11 digits and starts with 02.

# Exports (CSV and Excel) for the commune's report: sheet names and column headings.
export-sheet-ratings = Ratings
export-sheet-tally = Summary
export-heading-time = Time
export-heading-counter = Counter
export-heading-staff = Officer
export-heading-field = Field
export-heading-dossier = Dossier code
export-heading-level = Level
export-heading-level-count = Levels on the scale
export-heading-level-word = Satisfaction
export-heading-reasons = Reasons for dissatisfaction
export-heading-suspected-repeat = Suspected repeat
export-heading-dossier-repeat = Dossier rated before
export-heading-stage = Rated
export-heading-seq = Sequence number
export-heading-id = Rating id
export-heading-complaint = Complaint
export-heading-comment = Comment
export-heading-callback = Call-back number
export-heading-consent = Consent text version
export-callback-sent = (sent to the province, erased from the terminal)
export-stage-receipt = On receipt of the dossier
export-stage-return = On return of the result
export-yes = Yes
export-no = No
export-tally-title = Summary of satisfaction ratings
export-tally-commune = Commune
export-tally-terminal = Terminal
export-tally-from = From
export-tally-to = To
export-tally-flagged = Flagged ratings (suspected repeats, dossiers rated again)
export-tally-flagged-excluded = Not counted in the summary
export-tally-flagged-included = Counted in the summary
export-heading-group = Group
export-heading-name = Name
export-heading-total = Ratings
export-heading-dossiers = Dossiers
export-heading-dossiers-against = Dossiers unsatisfied
export-heading-sipas = Share satisfied, SIPAS (%)
export-heading-rate-766 = Satisfaction rate, Decision 766 (%)
export-group-terminal = Whole terminal
export-group-counter = Counter
export-group-staff = Officer
export-group-field = Field
export-group-none = (none)
export-heading-reason = Reason for dissatisfaction
export-heading-reason-count = Times given
export-error-range = The first day { $from } is after the last day { $to }.
export-error-no-folder = The folder { $path } does not exist (is the USB stick plugged in?).
export-error-is-folder = { $path } is a folder: give a file name.
export-error-write = Cannot write { $path }: { $reason }
export-error-too-many-rows = { $count } ratings exceed the { $max } rows of an Excel sheet: export a shorter range.
export-error-xlsx = Cannot build the Excel file: { $reason }
export-error-store = Cannot read the ratings: { $reason }

# The `hailong tally` and `hailong export` commands.
decimal-separator = .
cli-percent = { $value }%
cli-no-share = —
cli-tally-title = Ratings from { $from } to { $to }
cli-tally-total = Ratings: { $total }
cli-tally-sipas = Share satisfied (SIPAS): { $share }
cli-tally-766 = Satisfaction rate (Decision 766): { $rate } ({ $satisfied }/{ $dossiers } dossiers)
cli-tally-level = { $level }: { $count }
cli-tally-flagged-excluded = Flagged ratings, not counted: { $count }
cli-tally-flagged-included = Flagged ratings, counted: { $count }
cli-tally-by-counter = By counter:
cli-tally-by-staff = By officer:
cli-tally-by-field = By field:
cli-tally-reasons = Reasons for dissatisfaction:
cli-tally-group = { $name }: { $total } ratings · SIPAS { $share } · Decision 766 { $rate }
cli-tally-reason = { $reason }: { $count }
cli-export-done = Wrote { $count } ratings to { $path }
cli-export-tally-file = Summary: { $path }
cli-error-bad-date = { $option }: "{ $value }" is not a date; write YEAR-MONTH-DAY, e.g. 2026-03-31.
cli-error-bad-days = --days: must be from 1 to { $max }.

# Staff mode: PIN pad and the dashboard (tallies, charts, duty, sync, export).
staff-title = Staff mode
staff-signed-in = Signed in: { $name }
staff-supervisor = Supervisor
pin-title = Enter your staff PIN
pin-hint = Type your PIN, then press Sign in
pin-wrong = Wrong PIN. { $left } tries left.
pin-locked = Too many wrong PINs. Try again in { $seconds } seconds.
pin-checking = Checking…
action-cancel = Cancel
action-sign-in = Sign in
action-sign-out = Sign out
range-today = Today
range-7-days = 7 days
range-previous = Previous day
range-next = Next day
range-with-repeats = Include repeats
kpi-flagged-included = Suspected repeats (counted)
range-30-days = 30 days
range-day = { $date }
range-span = { $from } to { $to }
kpi-total = Ratings
kpi-sipas = Satisfied (SIPAS)
kpi-766 = Decision 766 rate
kpi-flagged = Suspected repeats (not counted)
kpi-none = —
chart-hourly = Ratings per hour
chart-daily = Share satisfied per day
chart-reasons = Reasons for dissatisfaction
chart-no-reasons = No reasons chosen yet
chart-loading = Counting…
duty-on = { $counter }: { $staff } on duty
duty-nobody = { $counter }: nobody on duty
duty-start = Start my shift at { $counter }
duty-end = End shift
sync-title = Sending to the province
sync-not-linked = This terminal is not linked to the provincial server.
sync-queued = Waiting to be sent: { $count } ratings
sync-last-success = Last sent: { $time }
sync-never = Never sent yet
sync-last-error = Last error: { $error }
export-excel = Export Excel
export-csv = Export CSV
export-done = Wrote { $file }
export-target-usb = Files go to the USB stick { $label }
export-target-local = No USB stick: files go to the terminal's exports folder

# First start: provisioning the terminal (technicians).
setup-title = Set up this terminal for a commune
setup-hint = Enter the provincial server's address and the one-time enrollment code, or pick a setup file on a USB stick.
setup-from-server = From the provincial server
setup-server = Server address
setup-code = Enrollment code
setup-enroll = Enroll
setup-from-usb = From a USB stick
setup-no-file = No setup file (.toml) found on a USB stick
setup-rescan = Look again
setup-working = Setting up…
setup-failed = Not set up: { $reason }

# English. Every key here must exist in every other i18n/*.ftl (a test checks it).
language-name = English

demo-badge = DEMO · Terminal not yet set up for a commune
counter-staff = { $counter } · Officer: { $staff }
counter-only = { $counter }

question-default = Are you satisfied with how your application was handled today?
question-hint = Tap one box to rate

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

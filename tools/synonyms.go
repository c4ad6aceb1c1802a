package tools

// This file is the curated vocabulary of REST APIs that search adds to the generated WordNet table: abbreviations,
// the words users say for the objects APIs name differently (ticket → issue, chargeback → dispute), and the verb
// classes. It is written for APIs in general — trackers, code hosting, CI, chat, billing, files, calendars, music —
// not for particular queries. Syntax (lexicon.go): "a, b => x, y" means a and b also search for x and y;
// "a = b = c" makes the words equivalent; "!phrase" is an idiom whose own words are not searched.

// restVocabulary is the curated synonym and abbreviation table.
const restVocabulary = `
# Questions and pronouns: "who" asks for people; "my" is the authenticated user's.
!who, !whom, !whose => user, member, people @0.5
!my, !me, !mine, !myself => authenticated user, current user @0.35

# Abbreviations and spellings.
repo = repository
org = organization = organisation
pr, prs, !merge request, mr, mrs => pull request
dm, dms, !direct message, !private message => im, direct message, conversation
msg = message
env = environment
config, conf, cfg => configuration, settings
settings => configuration, preferences
auth => authentication, authorization
creds, credentials => credential, secret, token
info => information, details
stats, analytics, metrics => statistics, insights, usage
desc => description
docs => documentation
admin => administrator, admin
app => application, app
perm, perms => permission
addr => address
db = database
txn => transaction
k8s => kubernetes
sms, text message => sms, message
2fa, mfa, !two factor => two-factor, authentication
e-mail, mail => email
avatar, !profile picture, pic, photo, picture => image, avatar, photo
dir, folder => directory, folder
url, link => url, link, permalink
permalink => link, url
id, identifier => id

# Work tracking: issues, tasks, projects, boards.
ticket, bug, !bug report, defect, incident => issue, task
to-do, todo, !to do, !action item, chore => task
card => task, card
board, kanban => project, board
column, lane, swimlane => section, column
epic => parent, project
subtask, !sub task, !child task, subissue, !sub issue => subtask, sub-issue
child, children, nest, nested, hierarchy => parent, subtask, sub-issue, child
label, tag => label, tag
comment, note, remark, reply, feedback => comment, reply
discussion, conversation, thread => comment, thread, conversation
activity, history, timeline, changelog, !audit log, log => events, timeline, activity, log, history
!progress report, !status report => status update, status
milestone, sprint, iteration, cycle => milestone, sprint, iteration
deadline, !due date => due
assignee, owner => assignee
watcher, follower, subscriber => watcher, follower, subscriber, subscription
star, bookmark, favorite, favourite => star, favorite
copy, clone, duplicate, replicate => duplicate, copy, fork
dependency, blocker, prerequisite, !blocked by, !depends on => dependency, dependent, blocked
teammate, coworker, colleague, employee, staff, member => member, user, collaborator
squad, crew, group, department => team, group
company, tenant, enterprise => organization, workspace, enterprise
person, people, someone, somebody, user, users => user, member, person
goal, objective, okr, !key result => goal, objective
template, blueprint, boilerplate => template
status, progress, state => status, state
portfolio => portfolio
custom field, field => field, custom field
dropdown, option, choice => enum, option
attachment, file, document => attachment, file

# Code hosting and CI.
commit, changeset => commit
branch => branch, ref
tag, version => tag, release, ref
binary, asset, artifact => asset, artifact
tarball, zipball, archive, zip => archive, tarball, zipball
diff, compare, changes, !what changed => compare, diff, changes
fork => fork
ci, !continuous integration, pipeline, pipelines, build, builds => workflow, actions, pipeline, build, run
job, jobs, step, steps => job, step
!ci run, !build run, !pipeline run => workflow run
secret, secrets => secret
variable, !env var, !environment variable => variable
deploy, deployment, rollout, !ship to production => deployment
production, staging => environment, deployment
traffic, !page views, visits, visitors => views, traffic, clones
contributor => contributor, collaborator
invite, invitation => invitation, invite
webhook, hook, !callback url, callback, !notification url => webhook, hook, endpoint
!get notified, !be notified, !notify me, !notify us => webhook, event, subscription
license, licence => license
gist, snippet, paste => gist, snippet
code review, review => review
approve, !sign off => approve, review
codeowners => code owners
vulnerability, cve, advisory, !security alert => advisory, alert, vulnerability, security
ssh key, !public key => ssh key, key
access token, !api key, token => token, key

# Chat and messaging.
channel, room, !chat room, !group chat => channel, conversation
message, post, chat => message
reaction, emoji, !thumbs up => reaction, emoji
mention, ping, nudge => mention, notify
notification, alert => notification
presence, away, available, !do not disturb => presence, dnd, status
topic, purpose, subject => topic, purpose
kick, eject, !kick out, boot => kick, remove
pin => pin
reminder, remind => reminder
!shareable link, !share link => permalink, link
usergroup, !user group => usergroup
workspace => workspace, team

# Billing and payments.
bill, bills, billing => invoice, billing
chargeback, chargebacks => dispute
refund, reimburse, !money back => refund
plan, tier, package, !pricing plan => price, plan, product, subscription
subscription, recurring => subscription
discount, coupon, promo, voucher, !promo code, !discount code => coupon, discount, promotion code
payout, !cash out, withdraw, withdrawal => payout
charge, payment, transaction => charge, payment
balance, funds => balance
card, !credit card, !debit card, visa, mastercard, amex => card, payment method, source
customer, client, buyer, shopper, payer, purchaser => customer
receipt => receipt, invoice
credit, !credit note, !credit memo => credit note, credit
!pay link => payment link
fraud, scam, fraudulent => fraud
authorization, hold => authorization
upcoming, next => upcoming
pause, suspend, freeze, !put on hold => pause
cancel, terminate, end => cancel
product, item, sku => product, item
price, cost, amount => price, amount
tax, vat => tax
bank, !bank account => bank account, external account
payment method => payment method, source, card
evidence, proof => evidence
dispute, contest => dispute

# Accounts and access.
login, !sign in, !log in => session, authentication, token
logout, !sign out, !log out => revoke, session
password, passphrase => password
permission, access, role, scope, rights => permission, role, access
ban, block, blacklist, blocklist, denylist => block, blocked
allowlist, whitelist => allowlist, allow
profile => profile, user
account => account, user

# Files, calendars, mail, media.
email, emails => email, message
phone, mobile, cell => phone
calendar, schedule, meeting, appointment => event, calendar, meeting
folder => folder, directory
image, picture, photo, screenshot => image, photo
video, clip => video
song, songs, track, tune, music => track
podcast, podcasts, show => show, episode
album, record => album
artist, band, singer, musician => artist
playlist, mixtape => playlist
volume, loudness => volume
speaker, device => device
`

// verbClasses maps the verbs of queries and tool names to operation classes; "!" marks an idiom.
const verbClasses = `
list: list, enumerate, browse, !show all, !see all, !get all, !list all
get: get, retrieve, fetch, show, view, display, read, inspect, describe, !look up, !look at, see, check, download
search: search, find, query, grep, !look for, !hunt for, lookup, filter
create: create, add, make, new, open, start, begin, register, generate, post, publish, submit, compose, draft, insert, !set up, !spin up, !kick off, upload, invite, enroll, write, launch, establish
update: update, edit, modify, change, rename, set, adjust, alter, amend, replace, move, assign, reassign, mark, toggle, enable, disable, bump, reopen, close, archive, reorder, patch, tweak, !check off, complete, finish, resolve, upgrade, downgrade, switch, lock, unlock, put
delete: delete, remove, kick, drop, destroy, erase, purge, revoke, discard, trash, wipe, clear, uninstall, unlink, detach, !get rid of, !kick out, !take out, !throw away, !take off, unassign
`

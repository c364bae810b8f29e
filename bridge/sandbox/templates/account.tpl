<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{account}} · Sandbox Astro</title>
<link rel="stylesheet" href="{{prefix}}/page.css">
</head>
<body>
<header>
<span class="brand">Sandbox Astro</span>
<nav><span class="muted">{{account}}: a fake Astro account for the demo and the tests</span></nav>
</header>
<main>
<h1>What the account holds</h1>

<h2>Programs</h2>
<p class="muted">The store's enrolment, as on Astro's Programs page. An item of a program the store is not enrolled in is refused (No Item Found).</p>
<table>
<tr><th>Program</th><th>The store</th></tr>
% for p in programs:
<tr><td>{{p['title']}}<br><span class="muted">{{p['maker']}}</span></td>
<td>{{'enrolled' if p['enrolled'] else 'not enrolled'}}
<form method="post" action="{{prefix}}/programs/{{p['id']}}" class="inline">
<input type="hidden" name="enrolled" value="{{0 if p['enrolled'] else 1}}">
<button type="submit" class="{{'secondary' if p['enrolled'] else ''}}">{{'End enrolment' if p['enrolled'] else 'Enrol the store'}}</button>
</form></td></tr>
% end
</table>

<h2>Customers</h2>
<div class="scroll"><table>
<tr><th>Customer</th><th>POS customer</th><th>Email</th><th>Phone</th><th class="num">Points</th></tr>
% for c in customers:
<tr><td>{{c['name']}} <span class="muted">· Astro #{{c['astro_id']}}</span></td><td>{{c['pos_id']}}</td>
<td>{{c['email']}}</td><td>{{c['phone']}}</td><td class="num">{{c['points']}}</td></tr>
% end
</table></div>

<h2>Cards</h2>
% if cards:
<div class="scroll"><table>
<tr><th>Customer</th><th>Program</th><th>Punches</th><th>Card</th><th>Free items</th></tr>
% for c in cards:
<tr><td>{{c['who']}}</td><td>{{c['program']}}</td><td>{{c['progress']}}</td><td>{{c['status']}}</td>
<td>{{'; '.join(c['rewards']) or '—'}}</td></tr>
% end
</table></div>
% else:
<p class="empty">No cards yet: a purchase of a program's item starts one.</p>
% end

<h2>Purchases</h2>
% if transactions:
<div class="scroll"><table>
<tr><th>Transaction</th><th>Customer</th><th>Item</th><th class="num">Qty</th><th>Day</th><th>Program</th></tr>
% for t in transactions:
<tr><td><code>{{t['id']}}</code>{{' (taken off the card)' if t['removed'] else ''}}</td><td>{{t['who']}}</td>
<td><code>{{t['item']}}</code></td><td class="num">{{t['qty']}}</td><td>{{t['date']}}</td><td>{{t['program']}}</td></tr>
% end
</table></div>
% else:
<p class="empty">No purchases yet.</p>
% end

<h2>Points</h2>
% if points:
<div class="scroll"><table>
<tr><th>Customer</th><th>What</th><th class="num">Points</th><th class="num">Balance</th><th>When (UTC)</th></tr>
% for p in points:
<tr><td>{{p['who']}}</td><td>{{p['what']}}</td><td class="num">{{p['change']}}</td>
<td class="num">{{p['balance']}}</td><td>{{p['when']}}</td></tr>
% end
</table></div>
% else:
<p class="empty">No points given or taken yet.</p>
% end

<h2>Redemptions</h2>
% if redemptions:
<div class="scroll"><table>
<tr><th>Customer</th><th>Reward</th><th>Redeemed on</th></tr>
% for r in redemptions:
<tr><td>{{r['who']}}</td><td>{{r['what']}}{{' (undone)' if r['undone'] else ''}}</td><td>{{r['on']}}</td></tr>
% end
</table></div>
% else:
<p class="empty">No rewards redeemed yet.</p>
% end

<h2>Calls to the API</h2>
% if calls:
<div class="scroll"><table>
<tr><th>Endpoint</th><th class="num">Calls received</th><th class="num">Work done</th></tr>
% for c in calls:
<tr><td><code>{{c['endpoint']}}</code></td><td class="num">{{c['calls']}}</td><td class="num">{{c['handled']}}</td></tr>
% end
</table></div>
% else:
<p class="empty">No calls yet.</p>
% end
<p class="muted">Tokens issued: {{tokens['issued']}}, still valid: {{tokens['live']}}.</p>

<h2>Faults</h2>
% if faults:
<ul class="faults">
% for f in faults:
<li>{{f}}</li>
% end
</ul>
% else:
<p class="empty">None: every call is answered normally.</p>
% end
<p class="muted">Set them with <code>POST {{prefix}}/faults</code> (see the sandbox's documentation).</p>
</main>
</body>
</html>

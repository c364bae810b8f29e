% heading = {'refund': 'Refund', 'return': 'Return'}.get(view.kind, 'Sale')
% rebase('layout.tpl', title=heading + ' receipt' if view.kind != 'sale' else 'Astro receipt')
<h1 class="receipt-head">{{heading}} for {{view.customer_name or view.customer_id}}</h1>
<p class="summary" id="summary">{{view.summary}}</p>
<div class="card {{view.tone}}" id="status">
<p class="status">{{view.status_text}}</p>
% for problem in view.problems:
<p class="problem">{{problem}}</p>
% end
</div>
% if view.customer_problem:
<div class="card bad" id="customer-problem">
<p class="problem">{{view.customer_problem}}</p>
</div>
% end

% if view.repeat:
<div class="card warn" id="repeat">
<p>This sale was already sent a moment ago: the same button was clicked twice, so nothing was sent again.</p>
% if view.can_send_again:
<form method="post" action="{{prefix}}/receipt/{{view.sale_key}}/again">
<input type="hidden" name="t" value="{{token}}">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit" class="secondary">Send again as a new sale</button>
</form>
<p class="muted">Only if the customer really bought the same items twice.</p>
% end
</div>
% end

% for i, program in enumerate(view.programs):
<section class="card ok program" id="program-{{i + 1}}">
<p class="program-title"><strong>{{program.title}}</strong>
% if program.progress:
<span class="nowrap">· card <span class="progress">{{program.progress}}</span></span>
% end
</p>
<ul class="lines">
% for line in program.lines:
<li>{{line.description or line.item_code}} × {{line.qty}}
% if line.description:
<span class="muted code">{{line.item_code}}</span>
% end
</li>
% end
</ul>
</section>
% end

% if view.points and view.points.text:
<div class="card points" id="points">
<p>{{view.points.text}}
% if view.points.balance is not None:
<span class="nowrap">· Balance: <strong>{{view.points.balance}}</strong> points</span>
% end
</p>
</div>
% end

% if get('rewards_panel'):
{{!rewards_panel}}
% elif view.rewards_ready:
<h2 id="rewards">Rewards ready</h2>
<div class="card reward">
<ul class="plain">
% for reward in view.rewards_ready:
<li>{{reward}}</li>
% end
</ul>
</div>
% end
% if view.checking or get('refreshing'):
<p class="muted" id="checking">Checking the latest rewards with Astro: this page updates itself in a moment.</p>
% end

% if view.other_lines:
<h2 id="other-items">{{'Other items' if view.programs else 'Items'}}</h2>
<ul class="card lines others">
% for line in view.other_lines:
<li class="{{'quiet' if line.outcome in ('not_in_program', 'routine', 'legacy') else line.outcome}}">{{line.description or line.item_code}} × {{line.qty}}
% if line.description:
<span class="muted code">{{line.item_code}}</span>
% end
% if line.outcome in ('punched', 'already') and line.program_title:
<br><span class="muted">{{line.program_title}}</span>
% end
% if line.reason:
<br><span class="muted">{{line.reason}}</span>
% end
</li>
% end
</ul>
% end

% if view.manual_removals:
<h2>Remove by hand</h2>
<div class="card warn">
<p>Astro does not take returned items off the cards. In Astro, remove these from
{{view.customer_name or view.customer_id}}'s cards:</p>
<ul>
% for m in view.manual_removals:
<li>{{m.get('description') or m.get('item_code')}} × {{m.get('qty')}}
% if m.get('description'):
<span class="muted">{{m.get('item_code')}}</span>
% end
</li>
% end
</ul>
</div>
% end

% if view.removed:
<h2>Taken off the cards</h2>
<div class="card">
<ul>
% for r in view.removed:
<li>{{r.get('item_code')}} {{'× ' + str(r.get('quantity')) if r.get('quantity') else '(whole line)'}} — {{'done' if r.get('state') == 'done' else r.get('state')}}</li>
% end
</ul>
</div>
% end

<div class="card customer" id="customer">
<p><strong>{{view.customer_name or 'Customer'}}</strong> <span class="muted">· POS customer {{view.customer_id}}</span></p>
% if view.customer_note:
<p class="muted">{{view.customer_note}}</p>
% end
<p class="muted">Sale {{view.sale_key}} · {{view.date}}</p>
% if view.status != 'pending' and view.status in ('delivered', 'partial'):
<form method="post" action="{{prefix}}/receipt/{{view.sale_key}}/refresh" class="inline">
<input type="hidden" name="t" value="{{token}}">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit" class="link" id="refresh-from-astro">Refresh from Astro</button>
</form>
% end
</div>

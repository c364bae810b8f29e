% heading = {'refund': 'Refund', 'return': 'Return'}.get(view.kind, 'Sale')
% rebase('layout.tpl', title=heading + ' receipt' if view.kind != 'sale' else 'Astro receipt')
<h1>{{heading}} for {{view.customer_name or view.customer_id}}</h1>
<div class="card {{view.tone}}">
<p class="status">{{view.status_text}}</p>
% for problem in view.problems:
<p class="problem">{{problem}}</p>
% end
</div>

% if view.repeat:
<div class="card warn">
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

<div class="card">
<p><strong>{{view.customer_name or 'Customer'}}</strong> <span class="muted">· POS customer {{view.customer_id}}</span></p>
% if view.customer_note:
<p class="muted">{{view.customer_note}}</p>
% end
<p class="muted">Sale {{view.sale_key}} · {{view.date}}</p>
</div>

% if view.lines:
<h2>Items</h2>
% for line in view.lines:
<div class="card {{'ok' if line.outcome in ('punched', 'already') else ('warn' if line.outcome in ('pending', 'not_in_program') else ('info' if line.outcome == 'legacy' else 'bad'))}}">
<p><strong>{{line.description or line.item_code}}</strong> × {{line.qty}} <span class="muted">{{line.item_code}}</span></p>
% if line.outcome in ('punched', 'already'):
<p>{{line.program_title or ('Recorded in Astro' if line.outcome == 'already' else 'Punched')}}
% if line.progress:
 · card <span class="progress">{{line.progress}}</span>
% end
</p>
% end
% if line.reason:
<p class="muted">{{line.reason}}</p>
% end
</div>
% end
% end

% if view.points and view.points.text:
<h2>Points</h2>
<div class="card">
<p>{{view.points.text}}</p>
% if view.points.balance is not None:
<p>Balance: <strong>{{view.points.balance}}</strong> points</p>
% end
</div>
% end

% if get('rewards_panel'):
{{!rewards_panel}}
% elif view.rewards_ready:
<h2>Rewards ready</h2>
<div class="card reward">
<ul class="plain">
% for reward in view.rewards_ready:
<li>{{reward}}</li>
% end
</ul>
</div>
% end

% if view.manual_removals:
<h2>Remove by hand</h2>
<div class="card warn">
<p>Astro does not take returned items off the cards. In Astro, remove these from
{{view.customer_name or view.customer_id}}'s cards:</p>
<ul>
% for m in view.manual_removals:
<li>{{m.get('description') or m.get('item_code')}} × {{m.get('qty')}} <span class="muted">{{m.get('item_code')}}</span></li>
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

<h2 id="rewards">Rewards ready</h2>
% for r in rewards:
<div class="card reward">
<form method="post" action="{{action}}" class="redeem">
<input type="hidden" name="t" value="{{token}}">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="kind" value="{{r.kind}}">
<input type="hidden" name="reward_id" value="{{r.reward_id}}">
<p><strong>{{r.title}}</strong>
% if r.kind == 'points':
<span class="muted">· {{r.points_required}} points</span>
% elif r.program_title:
<span class="muted">· {{r.program_title}}</span>
% end
</p>
<button type="submit" id="redeem-{{r.kind}}-{{r.reward_id}}">Redeem</button>
</form>
</div>
% end
% for title in confirming:
<div class="card reward confirming">
<p><strong>{{title}}</strong> <span class="muted">· Astro is confirming it: the Redeem button comes in a moment</span></p>
</div>
% end
% if not rewards and not confirming:
<p class="muted">No other reward is ready.</p>
% end
% if earlier:
<h2>Redeemed from this receipt</h2>
<div class="card">
<ul class="plain" id="redeemed-here">
% for rec, text in earlier:
<li>{{rec.title or rec.reward_id}}: <strong>{{text}}</strong></li>
% end
</ul>
</div>
% end

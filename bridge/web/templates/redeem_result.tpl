% rebase('layout.tpl', title=heading)
<h1 id="redeem-heading">{{heading}}</h1>
<div class="card {{'ok' if ok else ('warn' if needs else 'bad')}}">
<p class="status" id="redeem-message">{{message}}</p>
% if not ok and not needs:
<p class="problem">Do not hand this reward over as redeemed.</p>
% end
</div>
% if needs and outcome:
<form method="post" action="{{action}}" class="card" id="customer-info">
<input type="hidden" name="t" value="{{token}}">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="kind" value="{{outcome.reward.kind}}">
<input type="hidden" name="reward_id" value="{{outcome.reward.reward_id}}">
<p>Ask the customer, then save it on their Astro account and redeem:</p>
% if 'email' in needs:
<label for="email">Email address</label>
<input type="text" inputmode="email" id="email" name="email" value="{{info.email or ''}}" required>
% end
% if 'address' in needs:
<label for="address">Street address</label>
<input type="text" id="address" name="address" value="{{info.address or ''}}" required>
<label for="city">City</label>
<input type="text" id="city" name="city" value="{{info.city or ''}}" required>
<label for="state">State</label>
<input type="text" id="state" name="state" value="{{info.state or ''}}" required>
<label for="zip">ZIP</label>
<input type="text" id="zip" name="zip" value="{{info.zip or ''}}" inputmode="numeric" required>
% end
<button type="submit" id="save-and-redeem">Save and redeem</button>
</form>
% end
% if back:
<p><a href="{{back}}" id="back-to-receipt">Back to the receipt</a></p>
% end

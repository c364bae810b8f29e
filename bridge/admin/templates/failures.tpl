% rebase('admin_layout.tpl', title=title)
% f = report.filters
<h1>Failures</h1>
<form method="get" action="{{prefix}}/failures" class="filters">
<label>Store
<select name="store" id="filter-store">
<option value="">All stores</option>
% for s in report.stores:
<option value="{{s}}" {{!'selected' if f.store == s else ''}}>{{s}}</option>
% end
</select></label>
<label>Reason
<select name="reason" id="filter-reason">
<option value="">All reasons</option>
% for r in report.reasons:
<option value="{{r}}" {{!'selected' if f.reason == r else ''}}>{{r}}</option>
% end
% if f.reason and f.reason not in report.reasons:
<option value="{{f.reason}}" selected>{{f.reason}}</option>
% end
</select></label>
<label>Last <input type="text" name="days" value="{{f.days}}" size="4" inputmode="numeric"> days</label>
<button type="submit" class="secondary" id="apply-filters">Show</button>
<a href="{{prefix}}/failures.csv{{'?' + query if query else ''}}" id="csv">Export CSV</a>
</form>
<p class="muted">Since {{report.since.strftime('%Y-%m-%d %H:%M')}} UTC, newest first.</p>
% if report.truncated:
<p class="notice" id="truncated">The period has {{report.lines_total}} lines: the newest {{report.limit}} are shown. Narrow it (fewer days, one store, one reason) or export the CSV, which has every line.</p>
% end

<form method="post" action="{{prefix}}/failures/action" id="failures-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="store" value="{{f.store or ''}}">
<input type="hidden" name="reason" value="{{f.reason or ''}}">
<input type="hidden" name="days" value="{{f.days}}">
% total = len(report.rows)
% if pages > 1:
<nav class="pager" id="pager">Lines {{(page - 1) * page_size + 1}} to {{min(page * page_size, total)}} of {{total}} (page {{page}} of {{pages}}).
% if page > 1:
<a href="{{page_url(page=page - 1)}}" id="previous-page" rel="prev">Previous {{page_size}}</a>
% end
% if page < pages:
<a href="{{page_url(page=page + 1)}}" id="next-page" rel="next">Next {{page_size}}</a>
% end
</nav>
% end
% for section, heading, count in (('transaction', 'Transaction Failures', len(report.transaction_failures)), ('redemption', 'Redemption Failures', len(report.redemption_failures))):
% section_rows = [r for r in rows if r.section == section]
<h2 id="{{section}}-failures">{{heading}} ({{count}})</h2>
% if not count:
<p class="empty">None{{' to act on: the lines of items in no program are counted below' if section == 'transaction' and report.routine_failures else ''}}.</p>
% elif not section_rows:
<p class="empty">None on this page.</p>
% else:
<table class="failures cards" id="{{section}}-table">
<thead><tr><th>Select</th><th>Date (UTC)</th><th>Store</th><th>Customer</th><th>Item code</th><th>Description</th><th>{{'Reward id' if section == 'redemption' else 'Transaction id'}}</th><th>Endpoint</th><th>What to do</th><th>Actions</th></tr></thead>
<tbody>
% for r in section_rows:
<tr id="failure-{{r.id}}" class="failure" data-reason="{{r.reason}}">
<td class="select"><input type="checkbox" name="ids" value="{{r.id}}" id="select-{{r.id}}" aria-label="Select failure {{r.id}}"></td>
<td data-label="Date (UTC)">{{r.at.strftime('%Y-%m-%d %H:%M')}}</td>
<td data-label="Store">{{r.store_id}}</td>
<td data-label="Customer"{{!blank(r.customer_id)}}>
% if r.customer_id:
<a href="{{customer_url(r.store_id, r.customer_id)}}">{{r.customer_id}}</a>
% end
</td>
<td data-label="Item code"{{!blank(r.item_code)}}><code>{{r.item_code or ''}}</code></td>
<td data-label="Description"{{!blank(r.description)}}>{{r.description or ''}}</td>
<td data-label="{{'Reward id' if section == 'redemption' else 'Transaction id'}}"{{!blank(r.ref_id)}}><code>{{r.ref_id or ''}}</code></td>
<td data-label="Endpoint"{{!blank(r.endpoint)}}>{{r.endpoint or ''}}</td>
<td class="what"><a href="#{{anchor_of(r)}}" class="what-to-do">{{r.label}}</a>
% if r.detail:
<br><span class="message">{{r.detail}}</span>
% end
% for step in r.own_steps:
<br><span class="row-hint">{{step}}</span>
% end
</td>
% if r.question:
<td class="actions"><button type="submit" name="only" value="awarded:{{r.id}}" id="awarded-{{r.id}}">Points were awarded</button><button type="submit" name="only" value="not_awarded:{{r.id}}" id="not-awarded-{{r.id}}">Points were not awarded</button></td>
% else:
<td class="actions"><button type="submit" name="only" value="retry:{{r.id}}" id="retry-{{r.id}}">Retry</button><button type="submit" name="only" value="hide:{{r.id}}" class="secondary" id="hide-{{r.id}}">Hide</button></td>
% end
</tr>
% if r.question:
% q = r.question
<tr class="points-history" id="history-{{r.id}}"><td colspan="10">
<p>Sale <code>{{q.sale_key}}</code> of {{q.received_at.strftime('%Y-%m-%d %H:%M')}} UTC, {{q.dollar_amount}} dollars: were its points awarded? The customer's points history around the sale (as Astro showed it when the bridge checked):</p>
<div class="scroll"><table class="history"><thead><tr><th>Points transaction</th><th>Date</th><th>Description</th><th>Points</th><th>Made by the bridge for</th><th>When</th></tr></thead><tbody>
% for t in q.evidence:
<tr><td><code>{{t.get('id')}}</code></td><td>{{t.get('date') or ''}}</td><td>{{t.get('description') or ''}}</td><td>{{'' if t.get('points') is None else t.get('points')}}</td><td>{{t.get('sale') or 'not the bridge'}}</td><td>{{'after the award was sent' if t.get('new') else 'before'}}</td></tr>
% end
% if not q.evidence:
<tr><td colspan="6">No points history was read.</td></tr>
% end
</tbody></table></div>
<p class="muted">An entry of this amount that the bridge did not make, after the award was sent, may be this sale's award or another channel's (a register, Astro's site). Check in Astro, then answer: "were awarded" sends nothing; "were not awarded" sends the points once.</p>
</td></tr>
% end
% end
</tbody>
</table>
% end
% end
% if report.transaction_failures or report.redemption_failures:
<p><button type="submit" name="action" value="retry" id="retry-selected">Retry selected</button>
<button type="submit" name="action" value="hide" class="secondary" id="hide-selected">Hide selected</button></p>
% end
</form>

% routine = report.routine_items
% if routine:
<details id="routine-failures">
<summary><h2>In no program: nothing to do ({{len(report.routine_failures)}} lines, {{len(routine)}} item code{{'' if len(routine) == 1 else 's'}})</h2></summary>
<p class="muted">Astro answered No Item Found for these items and no program in Astro lists them (in either form of their code): that is right for most of a store's items (leashes, toys). Counted per item code; every line is in the CSV export.</p>
<table class="cards" id="routine-table">
<thead><tr><th>Item code</th><th>Description</th><th>Lines</th><th>Newest (UTC)</th></tr></thead>
<tbody>
% for item in routine[:page_size]:
<tr class="routine-item"><td data-label="Item code"><code>{{item.item_code}}</code></td><td data-label="Description"{{!blank(item.description)}}>{{item.description or ''}}</td><td data-label="Lines" class="count">{{item.lines}}</td><td data-label="Newest (UTC)">{{item.last_at.strftime('%Y-%m-%d %H:%M')}}</td></tr>
% end
</tbody>
</table>
% if len(routine) > page_size:
<p class="muted" id="routine-more">The {{page_size}} most frequent item codes are shown; {{len(routine) - page_size}} more are in the CSV export.</p>
% end
</details>
% end

% if guidance:
<section id="guidance">
<h2>What to do, by reason</h2>
% for anchor, g in guidance:
<div class="guidance" id="{{anchor}}"><h3>{{g.reason}}: {{g.title}}</h3><ul>
% for step in g.steps:
<li>{{step}}</li>
% end
</ul></div>
% end
</section>
% end

<h2 id="open-deliveries">Pending and uncertain deliveries ({{len(report.open_deliveries)}})</h2>
% if not report.open_deliveries:
<p class="empty">None: every sale is delivered or listed above.</p>
% else:
<table class="cards" id="open-table">
<thead><tr><th>Sale</th><th>Store</th><th>Customer</th><th>State</th><th>Steps left</th><th>Attempts</th><th>Next attempt (UTC)</th><th>Last error</th></tr></thead>
<tbody>
% for d in open_rows:
<tr class="open-{{d.state}}">
<td data-label="Sale"><code>{{d.sale_key}}</code></td><td data-label="Store">{{d.store_id}}</td>
<td data-label="Customer"{{!blank(d.customer_id)}}>
% if d.customer_id:
<a href="{{customer_url(d.store_id, d.customer_id)}}">{{d.customer_id}}</a>
% end
</td>
<td data-label="State">{{d.state}}</td><td data-label="Steps left">{{', '.join(d.steps)}}</td><td data-label="Attempts">{{d.attempts}}</td>
<td data-label="Next attempt (UTC)">{{d.next_attempt_at.strftime('%Y-%m-%d %H:%M:%S') if d.next_attempt_at else ('check in Astro first' if d.state == 'uncertain' else 'now')}}</td>
<td data-label="Last error"{{!blank(d.last_error)}}>{{d.last_error or ''}}</td>
</tr>
% end
</tbody>
</table>
% if open_pages > 1:
<nav class="pager" id="open-pager">Page {{open_page}} of {{open_pages}}.
% if open_page > 1:
<a href="{{page_url(open_page=open_page - 1)}}#open-deliveries" id="previous-open-page" rel="prev">Previous {{page_size}}</a>
% end
% if open_page < open_pages:
<a href="{{page_url(open_page=open_page + 1)}}#open-deliveries" id="next-open-page" rel="next">Next {{page_size}}</a>
% end
</nav>
% end
% end

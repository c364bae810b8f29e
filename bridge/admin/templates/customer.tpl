% rebase('admin_layout.tpl', title=title)
<h1>Customer {{customer_id}} <span class="muted">store {{store}}</span></h1>
% if not sales:
<p class="empty">No sales of this customer in the journal.</p>
% else:
<table id="customer-sales">
<thead><tr><th>Date (UTC)</th><th>Sale</th><th>Status</th><th>Lines</th><th>Receipt</th></tr></thead>
<tbody>
% for s in sales:
<tr>
<td>{{s.received_at.strftime('%Y-%m-%d %H:%M')}}</td>
<td><code>{{s.sale_key}}</code></td>
<td>{{s.status}}</td>
<td>{{len(s.sale.get('lines') or [])}}</td>
<td><a href="{{receipt_url(s.sale_key)}}" class="receipt-link">Receipt</a></td>
</tr>
% end
</tbody>
</table>
% end
<p><a href="{{prefix}}/failures">Back to the failures</a></p>

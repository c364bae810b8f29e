% rebase('layout.tpl', title=title)
<h1>{{title}}</h1>
<div class="card info">
<p class="status">{{message}}</p>
</div>

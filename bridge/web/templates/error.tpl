% rebase('layout.tpl', title=title)
<h1>{{title}}</h1>
<p class="problem">{{message}}</p>
% if get('param'):
<p>Parameter: <code>{{param}}</code></p>
% end
% if get('hint'):
<p>{{hint}}</p>
% end

% rebase('admin_layout.tpl', title=title)
<h1>{{title}}</h1>
<p class="problem">{{message}}</p>
% if get('back'):
<p><a href="{{back}}">Back</a></p>
% end

% rebase('admin_layout.tpl', title='Log in')
<h1>Log in</h1>
% if get('error'):
<p class="problem" role="alert">{{error}}</p>
% end
<form method="post" action="{{prefix}}/login" class="login">
<input type="hidden" name="csrf" value="{{login_csrf}}">
<input type="hidden" name="next" value="{{next}}">
<label for="username">User</label>
<input type="text" id="username" name="username" value="{{username}}" autocomplete="username" required>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="login">Log in</button>
</form>

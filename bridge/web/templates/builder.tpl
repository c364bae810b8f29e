% rebase('layout.tpl', title='Astro button URL')
<h1>Astro button URL</h1>
<p>This bridge takes the same URL as Astro's old query-string button. Change only the
address in your POS button. Fill in the form to get the URL to paste into the button.</p>

% if url:
<div class="card ok">
<p class="status">Paste this into the POS button:</p>
<code class="url">{{url}}</code>
<p class="muted">Replace each <code>{...}</code> with your POS's field for it (for example
the customer number for <code>{CustomerID}</code>). Type the button password in place of
<code>{PASSWORD}</code> in the POS only: this page never asks for it.</p>
</div>
% end
% if error:
<div class="card bad"><p class="problem">{{error}}</p></div>
% end

<form method="get" action="{{action}}">
<label for="host">Bridge address (as the POS reaches it)</label>
<input type="text" id="host" name="host" value="{{choice.host}}" autocomplete="off">
<label for="username">Button login name</label>
<input type="text" id="username" name="username" value="{{choice.username}}" autocomplete="off">
<label>Login parameters</label>
<label class="inline"><input type="radio" name="login_style" value="pair"
  {{'checked' if choice.login_style != 'tilde' else ''}}> apiusername + apipassword</label>
<label class="inline"><input type="radio" name="login_style" value="tilde"
  {{'checked' if choice.login_style == 'tilde' else ''}}> login=name~password</label>
<label for="store">Store (only when several stores share one login)</label>
<input type="text" id="store" name="store" value="{{choice.store}}" autocomplete="off">
<label>Fields the POS sends</label>
% for name, placeholder, label in fields:
<label class="inline"><input type="checkbox" name="field" value="{{name}}"
  {{'checked' if name in choice.fields else ''}}> {{label}}</label>
% end
<label for="lines">Item lines in the URL</label>
<input type="number" id="lines" name="lines" min="1" max="{{max_lines}}" value="{{choice.lines}}">
<label class="inline"><input type="checkbox" name="refund" value="1"
  {{'checked' if choice.refund else ''}}> Refund button (Refund tab)</label>
<input type="hidden" name="build" value="1">
<div><button type="submit">Make the URL</button></div>
</form>

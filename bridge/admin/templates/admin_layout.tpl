<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · astro-bridge admin</title>
<link rel="stylesheet" href="{{prefix}}/static/admin.css">
</head>
<body>
<header>
<span class="brand">astro-bridge admin</span>
% if get('session_user'):
<nav>
<a href="{{prefix}}/failures">Failures</a>
<a href="{{prefix}}/migration">Migration</a>
<span class="muted">{{session_user}}</span>
<form method="post" action="{{prefix}}/logout" class="inline" id="logout-form">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit" class="link" id="logout">Log out</button>
</form>
</nav>
% end
</header>
<main>
% if get('notice'):
<p class="notice {{get('notice_kind', 'ok')}}" role="status">{{notice}}</p>
% end
{{!base}}
</main>
</body>
</html>

<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
% if get('refresh_seconds'):
<meta http-equiv="refresh" content="{{refresh_seconds}}">
% end
<title>{{title}} · astro-bridge</title>
<link rel="stylesheet" href="{{get('static_prefix', '')}}/static/bridge.css">
</head>
<body>
<main>
{{!base}}
</main>
<footer>astro-bridge · Astro Loyalty</footer>
</body>
</html>

"""``manage.py runserver`` that passes the request target on as the client sent it (see
``pidsvc.devserver.management.commands.runserver``)."""

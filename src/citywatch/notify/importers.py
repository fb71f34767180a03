"""The outbox imports no files: messages come from the apps' actions (``notify.publish``) and
subscriptions are made on the subscriptions page or through the API."""

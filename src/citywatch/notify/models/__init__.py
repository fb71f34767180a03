from citywatch.notify.models.deliveries import Delivery, DeliveryAttempt
from citywatch.notify.models.messages import Message
from citywatch.notify.models.subscriptions import Subscription

__all__ = ["Delivery", "DeliveryAttempt", "Message", "Subscription"]

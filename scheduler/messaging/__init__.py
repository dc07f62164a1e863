"""Message-queue triggers for ``AssetWatcher``: RabbitMQ, Redis streams and lists, MQTT."""

from scheduler.messaging.trigger import MessageQueueTrigger

__all__ = ["MessageQueueTrigger"]

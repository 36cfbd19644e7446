DROP INDEX `orders_idempotency_key_unique`;--> statement-breakpoint
CREATE UNIQUE INDEX `orders_user_idempotency_key` ON `orders` (`user_id`,`idempotency_key`);
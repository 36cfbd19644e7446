CREATE TABLE `outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`kind` text NOT NULL,
	`payload` text NOT NULL,
	`traceparent` text,
	`created_at` integer NOT NULL,
	`delivered_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_order_kind` ON `outbox` (`order_id`,`kind`);--> statement-breakpoint
CREATE INDEX `outbox_undelivered` ON `outbox` (`delivered_at`,`created_at`);
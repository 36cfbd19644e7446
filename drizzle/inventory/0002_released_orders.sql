CREATE TABLE `released_orders` (
	`order_id` text PRIMARY KEY NOT NULL,
	`released_at` integer NOT NULL
);

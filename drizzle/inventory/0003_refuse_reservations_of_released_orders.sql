-- A reservation for an order whose stock was released is refused inside the reserving transaction itself, so a
-- reservation that arrives after its order gave up (and compensated) can never hold stock.
CREATE TRIGGER `refuse_reservation_of_released_order` BEFORE INSERT ON `reservations`
WHEN EXISTS (SELECT 1 FROM `released_orders` WHERE `order_id` = NEW.`order_id`)
BEGIN
	SELECT RAISE(ABORT, 'reservation_closed: the order was released');
END;

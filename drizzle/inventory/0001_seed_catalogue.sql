-- The shop's starting catalogue: prices in cents, stock that can be reserved.
INSERT INTO `products` (`id`, `name`, `price_cents`, `available`) VALUES
	('sku-keyboard', 'Mechanical keyboard', 8900, 50),
	('sku-mouse', 'Wireless mouse', 2500, 120),
	('sku-monitor', '27" 4K monitor', 32900, 15),
	('sku-usb-hub', 'USB-C hub', 3900, 80),
	('sku-headset', 'Noise-cancelling headset', 14900, 30),
	('sku-webcam', '1080p webcam', 5900, 40),
	('sku-desk-mat', 'Desk mat', 1900, 200),
	('sku-laptop-stand', 'Aluminium laptop stand', 4500, 60),
	('sku-ssd', '1 TB NVMe SSD', 9900, 25),
	('sku-cable', 'USB-C cable, 2 m', 1200, 300),
	('sku-dock', 'Thunderbolt dock', 22900, 10),
	('sku-mic', 'USB microphone', 11900, 20);

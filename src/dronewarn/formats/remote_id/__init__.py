"""Remote ID (ASTM F3411 / ASD-STAN EN 4709-002) broadcasts: registered civil drones say who and
where they are; dronewarn uses them to rule cooperative drones out, as ADS-B rules out airliners."""

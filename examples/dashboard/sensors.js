/**
 * Simulated sensors: a boiler's temperature, the room's humidity and the line's power draw.
 * Every `intervalMs` they produce one reading, numbered by `seq` so a client can prove it saw
 * every reading once.
 */
export function startSensors(intervalMs, onReading) {
  let seq = 0;
  let temperature = 71;
  let humidity = 45;
  let power = 12;
  const timer = setInterval(() => {
    seq += 1;
    const t = seq * intervalMs;
    temperature = drift(temperature, 70 + 4 * Math.sin(t / 20_000), 0.4);
    humidity = drift(humidity, 45 + 8 * Math.sin(t / 45_000), 0.6);
    power = drift(power, seq % 80 < 40 ? 14 : 9, 0.5);
    onReading({
      seq,
      time: Date.now(),
      temperature: round(temperature),
      humidity: round(humidity),
      power: round(power),
    });
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}

/** A step toward `target` plus noise: smooth enough to look like a real signal. */
function drift(value, target, noise) {
  return value + (target - value) * 0.1 + (Math.random() - 0.5) * noise;
}

function round(value) {
  return Math.round(value * 100) / 100;
}

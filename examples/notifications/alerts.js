/** Which user owns which device. In a real app: your database. */
export const DEVICES = {
  'boiler-1': 'alice',
  'boiler-2': 'alice',
  'press-7': 'bob',
};

export const USERS = [...new Set(Object.values(DEVICES))];

const CRITICAL_C = 90;
const WARNING_C = 80;

/**
 * Turns one telemetry reading into an alert for the device's owner, or `undefined` when the
 * reading is normal.
 * @throws {TypeError} when the reading is malformed or names an unknown device.
 */
export function alertFor(reading) {
  const { device, temperature } = reading ?? {};
  const user = DEVICES[device];
  if (user === undefined) throw new TypeError(`Unknown device ${JSON.stringify(device)}.`);
  if (typeof temperature !== 'number' || !Number.isFinite(temperature)) {
    throw new TypeError('"temperature" must be a number (°C).');
  }
  if (temperature < WARNING_C) return undefined;
  const severity = temperature >= CRITICAL_C ? 'critical' : 'warning';
  return {
    user,
    device,
    severity,
    temperature,
    message: `${device} at ${temperature.toFixed(1)} °C (${severity} from ${severity === 'critical' ? CRITICAL_C : WARNING_C} °C)`,
    time: Date.now(),
  };
}

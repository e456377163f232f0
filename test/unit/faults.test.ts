import {
  FAULT_POINT_NAMES,
  InjectedFault,
  faultPointsFromEnvironment,
  noFaults,
  parseFaultPoints,
} from '../../src/faults';

describe('fault points from FAULT_POINTS', () => {
  test('unset: no faults at all', () => {
    expect(faultPointsFromEnvironment({})).toBe(noFaults);
    expect(noFaults.at('reserve.afterCommit')).toBeUndefined();
  });

  test('refused with NODE_ENV=production', () => {
    expect(() =>
      faultPointsFromEnvironment({ FAULT_POINTS: 'order.afterCommit=stop', NODE_ENV: 'production' }),
    ).toThrow(/FAULT_POINTS is set with NODE_ENV=production/);
  });

  test('a malformed entry or an unknown point is refused, so a typo cannot test nothing', () => {
    expect(() => parseFaultPoints('reserve.afterCommit=explode')).toThrow(/bad entry/);
    expect(() => parseFaultPoints('reserve.aftercommit=kill')).toThrow(/unknown point "reserve.aftercommit"/);
  });

  test('every point name the chaos suite and the docs use is known', () => {
    const spec = FAULT_POINT_NAMES.map((p) => `${p}=pause:1`).join(',');
    expect([...parseFaultPoints(spec).keys()]).toEqual([...FAULT_POINT_NAMES]);
  });

  test('an armed point fires once, on its n-th hit, and only there', async () => {
    const faults = faultPointsFromEnvironment({ FAULT_POINTS: 'release.afterCommit=throw@2' });
    await expect(faults.at('release.beforeCommit')).resolves.toBeUndefined();
    await expect(faults.at('release.afterCommit')).resolves.toBeUndefined();
    await expect(faults.at('release.afterCommit')).rejects.toBeInstanceOf(InjectedFault);
    await expect(faults.at('release.afterCommit')).resolves.toBeUndefined();
  });

  test('asked again with the same environment, the same armed points come back (one set per process)', async () => {
    const env = { FAULT_POINTS: 'order.beforeCommit=throw' };
    const first = faultPointsFromEnvironment(env);
    expect(faultPointsFromEnvironment(env)).toBe(first);
    await expect(first.at('order.beforeCommit')).rejects.toBeInstanceOf(InjectedFault);
    await expect(faultPointsFromEnvironment(env).at('order.beforeCommit')).resolves.toBeUndefined();
  });

  test('asleep (FAULT_POINTS_ASLEEP=1), a point counts no hit until the process gets SIGUSR2', async () => {
    const faults = faultPointsFromEnvironment({ FAULT_POINTS: 'order.afterCommit=throw', FAULT_POINTS_ASLEEP: '1' });
    await expect(faults.at('order.afterCommit')).resolves.toBeUndefined();
    process.emit('SIGUSR2', 'SIGUSR2');
    await expect(faults.at('order.afterCommit')).rejects.toBeInstanceOf(InjectedFault);
  });
});

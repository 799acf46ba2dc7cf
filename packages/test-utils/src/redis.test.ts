import { createConnection } from 'node:net';
import { freePort } from './ports';
import { getRedis, pingRedis, startPrivateRedis } from './redis';

describe('redis for tests', () => {
  it('finds a Redis that answers PING', async () => {
    const redis = await getRedis();
    try {
      await expect(pingRedis(redis.host, redis.port)).resolves.toBe(true);
    } finally {
      await redis.stop();
    }
  });

  it('does not mistake a closed port for Redis', async () => {
    const port = await freePort();
    await expect(pingRedis('127.0.0.1', port, 500)).resolves.toBe(false);
  });

  it('says clearly when REDIS_URL points at nothing', async () => {
    const saved = process.env.REDIS_URL;
    const port = await freePort();
    process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
    try {
      await expect(getRedis()).rejects.toThrow(/does not answer PING/);
    } finally {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
    }
  });

  it('answers a real command on the Redis it returns', async () => {
    const redis = await getRedis();
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ host: redis.host, port: redis.port });
      socket.once('error', reject);
      socket.once('connect', () => socket.write('*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n'));
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString());
      });
    });
    await redis.stop();
    expect(reply).toBe('$5\r\nhello\r\n');
  });

  it('starts and stops a private redis-server on a free loopback port', async () => {
    const redis = await startPrivateRedis();
    expect(redis.started).toBe(true);
    expect(redis.port).not.toBe(6379);
    await expect(pingRedis(redis.host, redis.port)).resolves.toBe(true);
    await redis.stop();
    await expect(pingRedis(redis.host, redis.port, 500)).resolves.toBe(false);
  });
});

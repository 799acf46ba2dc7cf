import { findRedis, pingRedis, RedisUnavailableError, startPrivateRedis } from './redis';

describe('the Redis the demo runs on', () => {
  it('starts a private redis-server on a free loopback port and stops it', async () => {
    const redis = await startPrivateRedis();
    const url = new URL(redis.url);
    try {
      expect(url.hostname).toBe('127.0.0.1');
      expect(redis.started).toBe(true);
      expect(redis.origin).toMatch(/^private redis-server \(pid \d+/);
      expect(await pingRedis('127.0.0.1', Number(url.port))).toBe(true);
    } finally {
      await redis.stop();
    }
    expect(await pingRedis('127.0.0.1', Number(url.port))).toBe(false);
  });

  it('says how to get Redis when redis-server cannot be started', async () => {
    const failure = startPrivateRedis('/nonexistent/redis-server');
    await expect(failure).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(failure).rejects.toThrow(
      /could not be started .*Start one .*REDIS_URL=redis:\/\/host:port/s,
    );
  });

  it('refuses a REDIS_URL that does not answer, naming it', async () => {
    await expect(findRedis('redis://127.0.0.1:1', () => undefined)).rejects.toThrow(
      /^REDIS_URL=redis:\/\/127\.0\.0\.1:1 does not answer PING\. Start one/,
    );
  });
});

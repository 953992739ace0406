namespace Bus.Ml.Tests;

/// <summary>Seeded damaged copies of a file: every fifth cut short, the others with one to four bytes flipped past <c>keep</c>.</summary>
static class Damage
{
    public static IEnumerable<byte[]> Copies(byte[] original, int seed, int count, int keep = 0)
    {
        var random = new Random(seed);
        for (var attempt = 0; attempt < count; attempt++)
        {
            var bytes = (byte[])original.Clone();
            if (attempt % 5 == 4)
                bytes = bytes[..random.Next(Math.Max(1, keep), bytes.Length)];
            else
            {
                for (var flip = 0; flip < 1 + attempt % 4; flip++)
                    bytes[random.Next(keep, bytes.Length)] ^= (byte)random.Next(1, 256);
            }

            yield return bytes;
        }
    }
}

namespace CacheSerial.Tests.Golden;

// The type's full name is part of every entry's type fingerprint: renaming or moving these types makes the golden
// files misses (which the golden tests would report). That is the format working as designed; regenerate then.
public enum GoldenColour
{
    Red = 1,
    Green = 2,
}

public sealed record GoldenProduct(
    int Id,
    string Name,
    decimal Price,
    DateTimeOffset ReleasedAt,
    Guid Sku,
    GoldenColour Colour,
    List<string> Tags,
    Dictionary<string, int> Stock,
    double Rating,
    bool Available,
    string? Note);

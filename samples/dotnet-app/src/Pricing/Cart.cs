namespace Pricing;

/// <summary>A shopping cart: lines of a product, a unit price and a quantity.</summary>
public sealed class Cart
{
    private readonly List<CartLine> _lines = [];

    public IReadOnlyList<CartLine> Lines => _lines;

    public Cart Add(string product, decimal unitPrice, int quantity = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(product);
        ArgumentOutOfRangeException.ThrowIfNegative(unitPrice);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(quantity);
        _lines.Add(new CartLine(product, unitPrice, quantity));
        return this;
    }

    public decimal Subtotal => _lines.Sum(line => line.Total);

    /// <summary>The subtotal less the discount, rounded to cents (away from zero, as tills do).</summary>
    public decimal Total(IDiscount? discount = null)
    {
        var off = discount?.Amount(this) ?? 0m;
        return Math.Round(Math.Max(Subtotal - off, 0m), 2, MidpointRounding.AwayFromZero);
    }
}

public sealed record CartLine(string Product, decimal UnitPrice, int Quantity)
{
    public decimal Total => UnitPrice * Quantity;
}

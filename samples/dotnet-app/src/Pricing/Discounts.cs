namespace Pricing;

/// <summary>Takes an amount off a cart's subtotal.</summary>
public interface IDiscount
{
    decimal Amount(Cart cart);
}

/// <summary>A percentage off the whole cart.</summary>
public sealed class PercentOff : IDiscount
{
    public PercentOff(decimal percent)
    {
        if (percent is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "A percentage is between 0 and 100.");
        }

        Percent = percent;
    }

    public decimal Percent { get; }

    public decimal Amount(Cart cart) => cart.Subtotal * Percent / 100m;
}

/// <summary>Buy N of a product, pay for N-1.</summary>
public sealed class BuyNPayForNMinusOne(string product, int n) : IDiscount
{
    public decimal Amount(Cart cart) =>
        cart.Lines.Where(line => line.Product == product).Sum(line => line.Quantity / n * line.UnitPrice);
}

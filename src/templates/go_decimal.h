#pragma once
// Sprig's float math over shopspring/decimal: each float is read as its shortest decimal text
// (decimal.NewFromFloat); sums, differences and products are exact, a quotient is rounded
// half away from zero to 16 digits after the point (Decimal.Div's DivisionPrecision), and the
// result is read back as the nearest float64 (3.14159*3000 prints 9424.77, not
// 9424.769999999999). Dividing the binary floats instead differs in the last digit (97/150 then /0.1
// gives 6.466666666666666, Sprig 6.466666666666667).

#include <vector>

namespace gatehouse::templates {

enum class DecimalOp { Add, Sub, Mul, Div };

// a op d[0] op d[1] ... in exact decimals (Sprig's addf, add1f, subf, mulf, divf), read
// back as the nearest float64; throws TemplateError("decimal division by 0").
double decimalFold(double a, const std::vector<double>& operands, DecimalOp op);
double decimalDivide(double a, const std::vector<double>& divisors);

}  // namespace gatehouse::templates

import './base.css';
import './backtest.css';

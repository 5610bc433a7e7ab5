/** Block page: reached by the DNR redirect `block.html#<original URL>`. */
import '../shared/theme.css';
import '../shared/notice-page.css';
import { startNoticePage } from '../shared/notice-page.tsx';

startNoticePage('block');
